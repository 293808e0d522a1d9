"""Exception types.

Every error a user can cause by what they typed or handed us derives from
:class:`InvalidInput`; the command line turns those into one line on stderr and
exit status 2.  Anything else escaping is a bug (exit status 1).
"""

from __future__ import annotations

__all__ = [
    "VarwheelError",
    "InvalidInput",
    "InvalidProperty",
    "InvalidLabel",
    "InvalidFilename",
    "InvalidMetadata",
    "InvalidPyproject",
    "InvalidWheel",
    "OutputExists",
    "OutputError",
    "InconsistentVariants",
    "InvalidConfigSetting",
    "ToolchainError",
]


class VarwheelError(Exception):
    """Base class of every error varwheel raises on purpose."""


class InvalidInput(VarwheelError, ValueError):
    """The user's input is wrong; the message says what and how to fix it."""


class InvalidProperty(InvalidInput):
    """A ``namespace :: feature :: value`` string does not parse or validate."""


class InvalidLabel(InvalidInput):
    """A variant label does not match ``^[0-9a-z_.]+$`` or contradicts its properties."""


class InvalidFilename(InvalidInput):
    """A wheel filename does not follow the (variant) wheel filename grammar."""


class InvalidMetadata(InvalidInput):
    """A ``variant.json`` / ``*-variants.json`` document is malformed."""


class InvalidPyproject(InvalidInput):
    """A ``[variant]`` or ``[tool.varwheel]`` table in pyproject.toml is malformed."""


class InvalidWheel(InvalidInput):
    """A wheel archive is unreadable or structurally unsound."""


class OutputExists(InvalidInput):
    """The output path exists with different content and ``--force`` was not given."""


class OutputError(InvalidInput):
    """The output cannot be written (folder not creatable or writable, disk full, ...)."""


class InconsistentVariants(InvalidInput):
    """Several wheels (or index files) disagree about one label, provider or order."""


class InvalidConfigSetting(InvalidInput):
    """A ``-C``/``--config-settings`` value that the build backend owns is malformed."""


class ToolchainError(InvalidInput):
    """The compiler/toolkit a build would use cannot produce the requested variant."""
