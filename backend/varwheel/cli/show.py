"""``varwheel show WHEEL``: what a wheel says about its variant.

Label, properties, providers, schema and namespace priorities, read from the
central directory and ``variant.json`` only (instant on any wheel size).
A plain wheel is reported as such (exit 0).  A deferred-label wheel
(``variant.json`` inside, plain name outside) shows its label and says that
the filename does not carry it yet.  ``--json`` prints one JSON object for
scripts.  An index file (``*-variants.json``) is shown the same way.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List

NAME = "show"
HELP = "show a wheel's variant: label, properties, providers, schema, priorities"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wheel", metavar="WHEEL", help="a wheel, or a {name}-{version}-variants.json index file")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def describe_provider(provider) -> str:
    """One line for a ``providers.<ns>`` entry."""
    if provider.requires:
        text = "requires " + ", ".join(provider.requires)
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


def _doc_fields(doc) -> Dict[str, Any]:
    return {
        "format": doc.format,
        "schema": doc.schema,
        "default_priorities": list(doc.default_priorities),
        "providers": {ns: p.to_json() for ns, p in doc.providers.items()},
    }


def _doc_lines(doc) -> List[str]:
    lines = [
        f"  format:      {doc.format} ({doc.schema})",
        f"  priorities:  {', '.join(doc.default_priorities)}  (default-priorities.namespace, most preferred first)",
    ]
    if doc.providers:
        lines.append("  providers:   (in priority order)")
        order = [ns for ns in doc.default_priorities if ns in doc.providers]
        order += sorted(ns for ns in doc.providers if ns not in order)
        for ns in order:
            lines.append(f"    {ns}: {describe_provider(doc.providers[ns])}")
    else:
        lines.append("  providers:   none (pep825 format: uv can install only the null variant)")
    return lines


def _show_wheel(path: str) -> "tuple[Dict[str, Any], List[str]]":
    from varwheel.wheel.archive import WheelArchive

    with WheelArchive(path) as archive:
        fname = archive.filename
        variant = archive.variant()
        vj_name = archive.variant_json_name
    name = fname.filename
    if variant is None:
        data = {"wheel": name, "variant": False, "label": None, "label_in_filename": False}
        lines = [f"{name}: not a variant wheel (no {vj_name}); installers treat it as a plain wheel"]
        return data, lines
    label, doc = variant
    desc = doc.variants[label]
    in_name = fname.label is not None
    data = {
        "wheel": name,
        "variant": True,
        "label": label,
        "label_in_filename": in_name,
        "properties": desc.strings(),
        **_doc_fields(doc),
        "variant_json": doc.to_json(),
    }
    lines = [name]
    if in_name:
        lines.append(f"  label:       {label}")
    else:
        lines.append(
            f"  label:       {label}  (not labelled yet: the filename carries no label; "
            f"`varwheel relabel` names it {fname.with_label(label)})"
        )
    if desc.is_null:
        lines.append("  properties:  none (the null variant: installed when no other variant fits)")
    else:
        lines.append("  properties:  " + desc.strings()[0])
        lines += ["               " + s for s in desc.strings()[1:]]
    lines += _doc_lines(doc)
    return data, lines


def _show_index(path: str) -> "tuple[Dict[str, Any], List[str]]":
    from pathlib import Path

    from varwheel.errors import InvalidInput
    from varwheel.model.document import VariantDocument, read_document_file

    p = Path(path)
    try:
        raw = read_document_file(p)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror})") from None
    doc = VariantDocument.loads(raw, source=p.name)
    data = {
        "index": p.name,
        "variants": {label: desc.strings() for label, desc in doc.variants.items()},
        **_doc_fields(doc),
    }
    lines = [f"{p.name}: index of {len(doc.variants)} variant(s)"]
    for label, desc in doc.variants.items():
        lines.append(f"  {label}: {', '.join(desc.strings()) or '(null variant)'}")
    lines += _doc_lines(doc)
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
