"""One module per ``varwheel`` subcommand; see :mod:`varwheel.cli` for the protocol."""
