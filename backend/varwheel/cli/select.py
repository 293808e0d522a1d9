"""``varwheel select PKG --find-links DIR``: the wheel an installer should take, and why.

Prints the chosen wheel's path.  ``--explain`` prints every candidate of the
release with its verdict: its rank and rank key (one ``(namespace, feature,
value)`` index triple per feature, the property that gave it), or why it is
out (tags, an unsupported feature and value, a label the index does not
list, ...), after the namespace order and what each namespace supports.
``--json`` prints the same as one JSON object.

Choosing by hand: ``PKG#LABEL`` (``'PKG==1.0#LABEL'``: quote it, the shell
reads ``>``, ``<`` and, in zsh, ``#``) takes that variant even where this
machine does not support it, with one warning naming what fails here;
``--no-variant`` takes the plain wheel, or the null variant where there is
none.  An unknown label is bad input that lists the labels there are.

Exit status: 0 a wheel was chosen; 1 no wheel fits (stderr says why, per
wheel); 2 bad input (a folder that does not exist, a bad requirement or
``--assume``, index files that contradict each other).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from varwheel.cli._common import flatten, warn
from varwheel.model.builtins import UV

if TYPE_CHECKING:
    from varwheel.machine.detect_cache import DetectCache

NAME = "select"
HELP = "choose the wheel (variant, null or plain) an installer should take for this machine, and say why"


def add_arguments(parser: argparse.ArgumentParser, *, find_links_required: bool = True, requirement: bool = True) -> None:
    if requirement:
        parser.add_argument("requirement", metavar="PKG[==VERSION][#LABEL]",
                            help="project name, optionally with a version specifier; '#LABEL' takes that variant "
                                 "even where this machine does not support it (quote it: 'pkg==1.0#cu128')")
    parser.add_argument("-f", "--find-links", dest="find_links", action="append", metavar="DIR",
                        required=find_links_required, default=[],
                        help="folder with the wheels (and {name}-{version}-variants.json); repeatable")
    parser.add_argument("--assume", dest="assume", action="append", nargs="+", default=[], metavar="PROP",
                        help="treat 'namespace :: feature :: value' as supported (x86_64 :: level :: v3 means "
                             "a v3 machine: v3, v2, v1); repeatable")
    parser.add_argument("--no-variant", action="store_true",
                        help="take the plain wheel, or the null variant where the release has no plain wheel")
    parser.add_argument("--no-cache", action="store_true",
                        help="detect afresh, leaving the per-user detection cache alone (see `varwheel detect`)")
    parser.add_argument("--no-detect", action="store_true",
                        help="do not look at this machine: only --assume and static properties count")
    parser.add_argument("--require-index", action="store_true",
                        help="ignore variant wheels that have no {name}-{version}-variants.json beside them "
                             f"(what {UV} does)")
    parser.add_argument("--python", metavar="PATH",
                        help="target interpreter whose platform tags count (default: this one)")
    if find_links_required:
        parser.add_argument("--explain", action="store_true", help="print every candidate and its verdict")
        parser.add_argument("--json", action="store_true", help="print one JSON object")


def detection(args: argparse.Namespace) -> "bool | DetectCache":
    """``--no-detect`` / ``--no-cache`` as select()'s ``detect``: False, True, or the per-user cache."""
    import os

    from varwheel import __version__
    from varwheel.machine.detect_cache import DetectCache

    if args.no_detect:
        return False
    return True if args.no_cache else DetectCache.for_user(os.environ, version=__version__)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from varwheel.machine.select import select, target_tags

    tags = target_tags(args.python) if args.python else None
    sel = select(args.requirement, args.find_links, tags=tags, assume=flatten(args.assume),
                 detect=detection(args), require_index=args.require_index, all_releases=args.explain,
                 no_variant=args.no_variant)
    if args.json:
        print(json.dumps(sel.to_json(), indent=2, sort_keys=True))
        return 0 if sel.chosen else 1
    for message in sel.warnings:
        warn(message)
    if args.explain:
        print(explain(sel))
    if sel.chosen is None:
        print(f"varwheel: no wheel of {sel.requirement} fits this machine:\n{sel.why_nothing()}", file=sys.stderr)
        return 1
    if not args.explain:
        print(sel.chosen.path)
    return 0


def _values(values, limit: int = 8) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f", ... ({len(values)} values)" if len(values) > limit else "")


def explain(sel) -> str:
    """Human-readable account of a :class:`~varwheel.machine.select.Selection`."""
    lines = []
    if sel.choice.active:
        lines.append(f"chosen by hand: {sel.choice.describe()}")
    if not sel.releases:
        lines.append(f"no wheel of {sel.requirement} in the --find-links folders")
    for release in sel.releases:
        meta = {"index": "index " + ", ".join(str(p) for p in release.index_files),
                "wheels": "the wheels' own variant.json (no index file)",
                "lock": "the lock file's variants-json table",
                "none": "no variant metadata"}[release.metadata_source]
        lines.append(f"{sel.project} {release.version}: variant metadata from {meta}")
        if release.document is not None:
            lines.append(f"  namespace order: {', '.join(release.document.default_priorities)}")
            for ns in release.document.default_priorities:
                how = release.providers.get(ns, "")
                support = release.support.get(ns)
                if support is not None and support.features:
                    feats = "; ".join(f"{i}:{f.name} = {_values(list(f.values))}" for i, f in enumerate(support.features))
                    lines.append(f"  {release.document.default_priorities.index(ns)}:{ns} [{how}]: {feats}")
                else:
                    lines.append(f"  {release.document.default_priorities.index(ns)}:{ns} [{how}]: nothing supported"
                                 f" ({release.unsupported.get(ns, '')})")
                for caveat in support.caveats if support is not None else ():
                    lines.append(f"    caveat: {caveat}")
        lines.append("  candidates:")
        for cand in release.ranked:
            mark = "  <- selected" if cand is sel.chosen else ""
            label = f" [{cand.label}]" if cand.label else " [plain]"
            if cand.state == "forced":
                detail = f"forced (chosen by hand) although this machine does not support {'; '.join(cand.reasons)}"
            elif cand.kind == "variant" and cand.evaluation is not None:
                key = " ".join(f"({a},{b},{c})" for a, b, c in cand.evaluation.key)
                detail = f"key {key}: {', '.join(cand.evaluation.best)}"
            elif cand.kind == "null":
                detail = "null variant: after every variant"
            else:
                detail = "plain wheel: after every variant and null"
            lines.append(f"    {cand.rank}. {cand.name}{label} {detail}; tag #{cand.tag_rank}{mark}")
        for cand in release.candidates:
            if cand.state not in ("compatible", "forced"):
                label = f" [{cand.label}]" if cand.label else " [plain]"
                lines.append(f"    -  {cand.name}{label} {cand.state}: {'; '.join(cand.reasons)}")
        if release.notes:
            lines.append(f"  metadata the drafts forbid but {UV} reads (the ranking above follows uv):")
            lines += [f"    - {note}" for note in release.notes]
            best = release.ranked[0].name if release.ranked else "nothing"
            lines.append(f"  {UV} installs {best}; a reader that follows PEP 825/850 strictly would reject "
                         "this metadata and ignore these variants (the plain wheel, if any, instead)")
    lines.append(f"selected: {sel.chosen.path}" if sel.chosen else "selected: nothing")
    return "\n".join(lines)
