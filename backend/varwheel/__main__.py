"""``python -m varwheel`` runs the command line."""

from varwheel.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
