"""Helpers for the index/show/uv tests: variant wheels made through varwheel's own engine.

``make_variants`` calls the same code as ``varwheel make-variant`` (in process,
for speed); ``handmade_variant`` writes a wheel whose ``variant.json`` is given
verbatim, to produce the inconsistent folders the index must refuse.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Iterable, Optional

from fixtures.wheel_factory import make_wheel
from varwheel.wheel.make import make_variant
from varwheel.model.document import SCHEMA_PROVIDERS
from varwheel.model.pyproject import parse_variant_table
from varwheel.model.request import resolve_variant

X86_PROVIDER = {"requires": ["x86-64-variant-provider"]}

#: A [variant] table for a family of x86_64 levels (the null variant needs one).
X86_PYPROJECT = """\
[variant.default-priorities]
namespace = ["x86_64"]

[variant.providers.x86_64]
requires = ["x86-64-variant-provider"]
"""

X86_PROJECT = {"default-priorities": {"namespace": ["x86_64"]}, "providers": {"x86_64": X86_PROVIDER}}


def make_variants(
    src: Path,
    outdir: Path,
    variants: Dict[Optional[str], Iterable[str]],
    *,
    project: Optional[dict] = None,
    metadata_format: str = "providers",
) -> Dict[Optional[str], Path]:
    """``{label (None: hash label): properties}`` -> variant wheels of ``src`` in ``outdir``.

    An empty property list makes the null variant.
    """
    proj = parse_variant_table(project if project is not None else X86_PROJECT, source="test")
    out = {}
    for label, props in variants.items():
        props = list(props)
        request = resolve_variant(
            props, label=label, null=not props, project=proj, metadata_format=metadata_format
        )
        out[label] = make_variant(src, outdir, request)
    return out


def variant_json(
    label: str,
    properties: Dict[str, Dict[str, list]],
    *,
    namespaces: Optional[list] = None,
    providers: Optional[dict] = None,
    schema: str = SCHEMA_PROVIDERS,
) -> str:
    """A variant.json text with exactly what the caller says (no defaults are merged in)."""
    ns = namespaces if namespaces is not None else (sorted(properties) or ["x86_64"])
    data = {
        "$schema": schema,
        "default-priorities": {"namespace": ns},
        "variants": {label: properties},
    }
    if providers is not None:
        data["providers"] = providers
    elif "825" not in schema:
        data["providers"] = {n: X86_PROVIDER for n in ns}
    return json.dumps(data, indent=2)


def handmade_variant(
    directory: Path,
    label: Optional[str],
    document: Optional[str],
    *,
    name: str = "mypkg",
    version: str = "1.0",
    tag: str = "py3-none-any",
) -> Path:
    """A wheel named with ``label`` (None: plain name) holding ``document`` as variant.json (None: none)."""
    extra = {"variant.json": document} if document is not None else None
    return make_wheel(directory, name, version, tag=tag, label=label, extra_dist_info=extra)
