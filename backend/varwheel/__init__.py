"""varwheel: build, convert, index, check and select wheel variants.

The pure core (``properties``, ``filename``, ``metadata``, ``pyproject``,
``builtin_providers``) does no I/O beyond reading the files it is handed and
knows nothing about build backends or the command line.  Adapters (``rewrite``,
``build``, ``index``, ``cli``, ``providers``, ``select``) depend on it, never
the other way round.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
