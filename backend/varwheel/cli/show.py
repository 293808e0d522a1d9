"""``varwheel show WHEEL``: what a wheel says about its variant.

Label, properties, providers, schema and namespace priorities, read from the
central directory and ``variant.json`` only (instant on any wheel size).
A plain wheel is reported as such (exit 0).  A deferred-label wheel
(``variant.json`` inside, plain name outside) shows its label and says that
the filename does not carry it yet.  ``--json`` prints one JSON object for
scripts.  An index file (``*-variants.json``) is shown the same way.

Every document also gets the draft it follows and what uv 0.13.9 does with
it, and why (:func:`varwheel.model.drafts.read_draft`).  A PEP 817-era
document (v0.0.2, v0.0.3), which uv cannot read, is shown through the
converter ``varwheel upgrade`` uses, so its variants and providers read as
they will once upgraded; the change count says how far that is from the file.

A wheel whose METADATA has variant-specific dependencies (``Requires-Dist``
with PEP 825 variant markers) lists them, plain wheel or variant, and says
that pip and uv 0.13.9 cannot read them (``varwheel install`` can).
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List, Mapping, Optional, Tuple

from varwheel.model.document import UV

NAME = "show"
HELP = "show a wheel's variant: label, properties, providers, schema, priorities, and what uv does with it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wheel", metavar="WHEEL", help="a wheel, or a {name}-{version}-variants.json index file")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def describe_provider(provider) -> str:
    """One line for a ``providers.<ns>`` entry."""
    if provider.plugin:
        text = "requires " + (", ".join(provider.requires) or "nothing")
        if provider.plugin_api:
            text += f" (plugin-api {provider.plugin_api})"
    elif provider.static_properties:
        text = "static-properties " + "; ".join(
            f"{feature} = [{', '.join(values)}]" for feature, values in provider.static_properties
        )
        if provider.feature_order:
            text += f" (feature-order {', '.join(provider.feature_order)})"
    elif provider.builtin is not None:
        text = f"builtin {provider.builtin}"
    else:
        text = "build-requires " + ", ".join(provider.build_requires)
    if provider.optional:
        text += " [optional: used only when the user opts in]"
    return text


class _Read:
    """A document as ``show`` presents it: the file's own reading, and the document to list (converted if legacy)."""

    def __init__(self, data: Any, source: str) -> None:
        from varwheel.errors import InvalidMetadata
        from varwheel.model.document import VariantDocument
        from varwheel.model.drafts import UpgradeRefused, read_draft, upgrade_document

        self.data = data
        self.reading = read_draft(data)
        self.changes: List[str] = []
        self.refused: Optional[str] = None
        self.doc: Optional[VariantDocument] = None
        if not isinstance(data, Mapping):
            raise InvalidMetadata(f"{source}: expected a JSON object at the top level")
        if not self.reading.legacy:
            # The current formats (and unknown URLs with their shape): read as every other command reads them.
            self.doc = VariantDocument.from_json(data, source=source)
            return
        try:
            converted, self.changes = upgrade_document(data, source=source)
        except UpgradeRefused as exc:
            self.refused = str(exc)
            return
        self.doc = VariantDocument.from_json(converted, source=source)

    def raw_variants(self) -> Dict[str, List[str]]:
        """``label -> property strings`` straight from the file (for a document the converter refused)."""
        from varwheel.errors import InvalidInput
        from varwheel.model.properties import VariantDescription

        out: Dict[str, List[str]] = {}
        variants = self.data.get("variants")
        for label, props in (variants.items() if isinstance(variants, Mapping) else ()):
            try:
                kept = {ns: f for ns, f in props.items() if f} if isinstance(props, Mapping) else props
                out[str(label)] = VariantDescription.from_mapping(kept, where=f"variants.{label}").strings()
            except InvalidInput as exc:
                out[str(label)] = [f"(unreadable: {exc})"]
        return out

    def fields(self) -> Dict[str, Any]:
        reading = self.reading
        data: Dict[str, Any] = {
            "format": self.doc.format if self.doc is not None and not reading.legacy else reading.draft,
            "schema": reading.schema,
            "draft": reading.draft,
            "uv": {"outcome": reading.uv, "reasons": list(reading.reasons), "summary": reading.describe()},
        }
        if self.doc is not None:
            data["default_priorities"] = list(self.doc.default_priorities)
            data["providers"] = {ns: p.to_json() for ns, p in self.doc.providers.items()}
            if self.doc.findings:
                data["findings"] = [{"code": f.code, "where": f.where, "message": f.message} for f in self.doc.findings]
        if reading.legacy:
            data["upgrade"] = (
                {"refused": self.refused} if self.refused is not None
                else {"changes": list(self.changes), "converted": self.doc.to_json() if self.doc else None}
            )
        return data

    def lines(self) -> List[str]:
        reading = self.reading
        doc = self.doc
        if reading.legacy:
            lines = [f"  format:      {reading.draft} ({reading.schema}), a PEP 817-era draft"]
        else:
            assert doc is not None
            lines = [f"  format:      {doc.format} ({doc.schema})"]
        lines.append(f"  {UV}:   {reading.describe()}")
        if reading.legacy:
            if self.refused is not None:
                lines.append(f"  upgrade:     `varwheel upgrade` refuses it: {self.refused}")
                return lines
            lines.append(f"  upgrade:     `varwheel upgrade` makes {len(self.changes)} change(s); "
                         "priorities and providers below are as converted")
        assert doc is not None
        for finding in doc.findings:
            lines.append(f"  note:        {finding}")
        lines.append(
            f"  priorities:  {', '.join(doc.default_priorities)}  (default-priorities.namespace, most preferred first)"
        )
        if doc.providers:
            lines.append("  providers:   (in priority order)")
            order = [ns for ns in doc.default_priorities if ns in doc.providers]
            order += sorted(ns for ns in doc.providers if ns not in order)
            for ns in order:
                lines.append(f"    {ns}: {describe_provider(doc.providers[ns])}")
        else:
            lines.append("  providers:   none (pep825 format: uv can install only the null variant)")
        return lines


def _properties_lines(strings: List[str]) -> List[str]:
    if not strings:
        return ["  properties:  none (the null variant: installed when no other variant fits)"]
    return ["  properties:  " + strings[0]] + ["               " + s for s in strings[1:]]


def _variant_dependencies(archive) -> List[str]:
    """The ``Requires-Dist`` values of the wheel's METADATA that use variant markers."""
    from varwheel.model.variant_markers import requires_dist, uses_variant_markers

    name = archive.record_name.rsplit("/", 1)[0] + "/METADATA"
    if name not in archive.names:
        return []
    return [value for value in requires_dist(archive.read(name)) if uses_variant_markers(value)]


def _dependency_lines(deps: List[str]) -> List[str]:
    if not deps:
        return []
    return ([f"  variant dependencies:  (PEP 825 markers: pip and {UV} cannot read them; varwheel install can)"]
            + [f"    {dep}" for dep in deps])


def _show_wheel(path: str) -> Tuple[Dict[str, Any], List[str]]:
    data, lines = _show_wheel_variant(path)
    from varwheel.wheel.archive import WheelArchive

    with WheelArchive(path) as archive:
        deps = _variant_dependencies(archive)
    if deps:  # only then: the JSON of every other wheel stays as it was
        data["variant_dependencies"] = deps
    return data, lines + _dependency_lines(deps)


def _show_wheel_variant(path: str) -> Tuple[Dict[str, Any], List[str]]:
    from varwheel.errors import InvalidMetadata
    from varwheel.model.drafts import OLD_NULL_LABEL, load_json, single_label
    from varwheel.wheel.archive import WheelArchive

    with WheelArchive(path) as archive:
        fname = archive.filename
        vj_name = archive.variant_json_name
        if not archive.has_variant_json():
            archive.variant()  # a labelled name without variant.json: the error every command gives
            name = fname.filename
            plain = {"wheel": name, "variant": False, "label": None, "label_in_filename": False}
            return plain, [f"{name}: not a variant wheel (no {vj_name}); installers treat it as a plain wheel"]
        raw = archive.read(vj_name)
    name = fname.filename
    source = f"{name}: {vj_name}"
    read = _Read(load_json(raw, source=source), source)
    if read.doc is not None and not read.reading.legacy:
        label, desc = read.doc.single(fname.label, source=source)
        strings = desc.strings()
    else:
        found = single_label(read.data)
        if found is None:
            raise InvalidMetadata(f"{source}: 'variants' must hold exactly one entry in a wheel")
        if fname.label is not None and found != fname.label:
            raise InvalidMetadata(f"{source}: its label {found!r} differs from the filename's label {fname.label!r}")
        label = found
        if read.doc is not None:
            strings = next(iter(read.doc.variants.values())).strings()
        else:
            strings = read.raw_variants()[label]
    in_name = fname.label is not None
    data: Dict[str, Any] = {
        "wheel": name,
        "variant": True,
        "label": label,
        "label_in_filename": in_name,
        "properties": strings,
        **read.fields(),
        "variant_json": read.data,
    }
    lines = [name]
    if label == OLD_NULL_LABEL and read.doc is not None and read.reading.legacy:
        new_name = fname.with_label("null") if in_name else fname
        lines.append(f"  label:       {label}  (the old null label: `varwheel upgrade` writes null, as {new_name})")
    elif in_name:
        lines.append(f"  label:       {label}")
    else:
        lines.append(
            f"  label:       {label}  (not labelled yet: the filename carries no label; "
            f"`varwheel relabel` names it {fname.with_label(label)})"
        )
    lines += _properties_lines(strings)
    lines += read.lines()
    return data, lines


def _index_variants(read: _Read) -> Dict[str, List[str]]:
    """``label -> property strings`` under the file's own labels (``00000000`` stays visible as such)."""
    from varwheel.model.drafts import OLD_NULL_LABEL

    if read.doc is None:
        return read.raw_variants()
    if not read.reading.legacy:
        return {label: desc.strings() for label, desc in read.doc.variants.items()}
    out: Dict[str, List[str]] = {}
    for label in read.data.get("variants", {}):
        key = "null" if label == OLD_NULL_LABEL and label not in read.doc.variants else label
        if key in read.doc.variants:
            out[label] = read.doc.variants[key].strings()
    return out


def _show_index(path: str) -> Tuple[Dict[str, Any], List[str]]:
    from pathlib import Path

    from varwheel.errors import InvalidInput
    from varwheel.model.document import read_document_file
    from varwheel.model.drafts import OLD_NULL_LABEL, load_json

    p = Path(path)
    try:
        raw = read_document_file(p)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror})") from None
    read = _Read(load_json(raw, source=p.name), p.name)
    variants = _index_variants(read)
    data = {"index": p.name, "variants": variants, **read.fields()}
    lines = [f"{p.name}: index of {len(variants)} variant(s)"]
    for label, strings in variants.items():
        text = ", ".join(strings) or "(null variant)"
        if label == OLD_NULL_LABEL and not strings and read.reading.legacy:
            text += " (the old null label: `varwheel upgrade` writes null)"
        lines.append(f"  {label}: {text}")
    lines += read.lines()
    return data, lines


def run(args: argparse.Namespace) -> int:
    if args.wheel.endswith(".json"):
        data, lines = _show_index(args.wheel)
    else:
        data, lines = _show_wheel(args.wheel)
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print("\n".join(lines))
    return 0
