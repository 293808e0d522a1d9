"""One CI job per variant, from ``[variant.variants.<label>]`` (``varwheel matrix``).

A project lists its named variants in pyproject.toml; the null variant is
listed as an empty ``[variant.variants.null]`` table when the project wants
one.  Each becomes a :class:`MatrixEntry` holding the config settings that
build exactly that variant with the varwheel backend::

    variant-label=cu129 variant-defer-label=true      # named variant
    null-variant=true variant-defer-label=true        # the null variant

The label is deferred by default because cibuildwheel and auditwheel parse
the wheel filename and reject labels (spec section 3); the job runs
``varwheel relabel`` after them.

cibuildwheel reads ``CIBW_CONFIG_SETTINGS`` *instead of* (not on top of)
``[tool.cibuildwheel] config-settings``, so the project's own settings from
that table are put in front of the variant ones; otherwise a variant job
would silently lose them.  Settings are joined the way cibuildwheel splits
them (:func:`shlex.split`), so values with spaces survive.

Formats (:data:`FORMATS`):

``github``
    ``{"include": [{"label": ..., "config-settings": ..., "build-args": ...,
    "properties": ...}, ...]}`` on one line, for ``$GITHUB_OUTPUT`` and
    ``strategy.matrix: ${{ fromJSON(...) }}``.
``cibuildwheel``
    one line per entry: ``LABEL<TAB>CONFIG-SETTINGS``; with a single entry
    selected (``--label``), only the settings, for
    ``CIBW_CONFIG_SETTINGS="$(varwheel matrix --format cibuildwheel --label cu129)"``.
``json``
    a list of entries with every field, pretty-printed.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Sequence, Tuple

from varwheel.model.toml import load_toml
from varwheel.errors import InvalidInput, InvalidPyproject
from varwheel.model.properties import NULL_LABEL, VariantDescription
from varwheel.model.pyproject import parse_variant_table

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
else:
    from varwheel.model.values import dataclass

__all__ = ["FORMATS", "MatrixEntry", "matrix_entries", "load_matrix", "format_matrix", "cibuildwheel_settings"]

FORMATS = ("github", "cibuildwheel", "json")


@dataclass(frozen=True)
class MatrixEntry:
    """One variant to build: its label, properties and config settings (in order)."""

    label: str
    description: VariantDescription
    settings: Tuple[Tuple[str, str], ...]

    @property
    def is_null(self) -> bool:
        return self.label == NULL_LABEL

    @property
    def config_settings(self) -> str:
        """``key=value`` pairs joined as cibuildwheel splits them (``CIBW_CONFIG_SETTINGS``)."""
        return shlex.join(f"{k}={v}" for k, v in self.settings)

    @property
    def build_args(self) -> List[str]:
        """Arguments for ``python -m build`` (and ``uv build``): ``-Ckey=value`` each."""
        return [f"-C{k}={v}" for k, v in self.settings]

    def to_json(self) -> Dict[str, Any]:
        return {
            "label": self.label,
            "properties": self.description.strings(),
            "null": self.is_null,
            "config-settings": self.config_settings,
            "build-args": shlex.join(self.build_args),
        }


def cibuildwheel_settings(data: Mapping[str, Any], source: str) -> List[Tuple[str, str]]:
    """``[tool.cibuildwheel] config-settings`` (a table or a string) as ordered pairs."""
    tool = data.get("tool", {})
    cibw = tool.get("cibuildwheel", {}) if isinstance(tool, Mapping) else {}
    raw = cibw.get("config-settings") if isinstance(cibw, Mapping) else None
    if raw is None:
        return []
    pairs: List[Tuple[str, str]] = []
    where = f"{source}: tool.cibuildwheel.config-settings"
    if isinstance(raw, str):
        try:
            items = shlex.split(raw)
        except ValueError as exc:
            raise InvalidPyproject(f"{where}: {exc}") from None
        for item in items:
            key, sep, value = item.partition("=")
            if not sep:
                raise InvalidPyproject(f"{where}: {item!r} is not key=value")
            pairs.append((key, value))
    elif isinstance(raw, Mapping):
        for key, value in raw.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                if not isinstance(item, (str, int, float, bool)):
                    raise InvalidPyproject(f"{where}.{key}: expected a string or a list of strings")
                text = ("true" if item else "false") if isinstance(item, bool) else str(item)
                pairs.append((str(key), text))
    else:
        raise InvalidPyproject(f"{where}: expected a table or a string")
    owned = [k for k, _ in pairs if k.startswith(("variant", "null-variant"))]
    if owned:
        raise InvalidPyproject(
            f"{where}: sets {', '.join(sorted(set(owned)))}, which every variant job sets itself; "
            "remove it from [tool.cibuildwheel] config-settings"
        )
    return pairs


def matrix_entries(
    variants: Mapping[str, VariantDescription],
    *,
    defer_label: bool = True,
    base_settings: Sequence[Tuple[str, str]] = (),
) -> List[MatrixEntry]:
    """One entry per label, in the table's order (``null`` last)."""
    entries: List[MatrixEntry] = []
    ordered = [label for label in variants if label != NULL_LABEL]
    if NULL_LABEL in variants:
        ordered.append(NULL_LABEL)
    for label in ordered:
        own: List[Tuple[str, str]] = (
            [("null-variant", "true")] if label == NULL_LABEL else [("variant-label", label)]
        )
        if defer_label:
            own.append(("variant-defer-label", "true"))
        entries.append(MatrixEntry(label, variants[label], tuple(base_settings) + tuple(own)))
    return entries


def load_matrix(
    pyproject: "str | os.PathLike[str]",
    *,
    defer_label: bool = True,
    labels: Sequence[str] = (),
) -> List[MatrixEntry]:
    """Read ``pyproject`` and build its entries (``labels``: only those, in that order)."""
    path = Path(pyproject)
    data = load_toml(path)
    project = parse_variant_table(data.get("variant", {}), source=str(path))
    if not project.variants:
        raise InvalidPyproject(
            f"{path}: declares no [variant.variants.<label>] tables, so there is nothing to build: "
            "add one per variant (and an empty [variant.variants.null] for the null variant)"
        )
    entries = matrix_entries(
        project.variants, defer_label=defer_label, base_settings=cibuildwheel_settings(data, str(path))
    )
    if labels:
        by_label = {e.label: e for e in entries}
        unknown = [label for label in labels if label not in by_label]
        if unknown:
            raise InvalidInput(
                f"{path}: no [variant.variants.{unknown[0]}] table (declared: {', '.join(by_label)})"
            )
        entries = [by_label[label] for label in labels]
    return entries


def format_matrix(entries: Sequence[MatrixEntry], fmt: str, *, single: bool = False) -> str:
    """Render ``entries`` as ``github``, ``cibuildwheel`` or ``json`` (see the module docstring)."""
    if fmt == "github":
        return json.dumps({"include": [e.to_json() for e in entries]}, separators=(",", ":"))
    if fmt == "cibuildwheel":
        if single and len(entries) == 1:
            return entries[0].config_settings
        return "\n".join(f"{e.label}\t{e.config_settings}" for e in entries)
    if fmt == "json":
        return json.dumps([e.to_json() for e in entries], indent=2)
    raise InvalidInput(f"unknown format {fmt!r}: choose {', '.join(FORMATS)}")

