"""Helpers for the machine-side tests: variant families, uv as an oracle, fake GPU drivers.

* :class:`Family` / :func:`build_family`: a release (or several) of tiny
  variant wheels made through varwheel's own engine (``resolve_variant`` +
  ``make_variant``), with or without the index file, null and plain wheels,
  wheels under several tags.
* :func:`generate_families`: deterministic (seeded) random families covering
  x86_64 levels and ISA features, static-property namespaces, nvidia
  families under forced driver versions and compute capabilities, odd
  provider entries, tags, several versions.
* :func:`uv_pick`: the wheel uv 0.13.9 selects (``uv pip install --dry-run
  -v``, log line ``Selecting: pkg==1.0 [compatible] (<file>)``).
* :func:`fake_driver_libs`: compile stand-ins for ``libnvidia-ml.so.1`` and
  ``libcuda.so.1`` (the driver, not the code under test) so that the NVML and
  libcuda paths run for real through ctypes on a machine without a GPU.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from fixtures.wheel_factory import make_wheel
from varwheel.wheel.make import make_variant
from varwheel.model.release import merge_documents
from varwheel.model.pyproject import parse_variant_table
from varwheel.model.request import resolve_variant

X86 = {"requires": ["x86-64-variant-provider"]}
AARCH64 = {"requires": ["aarch64-variant-provider"]}
NVIDIA = {"requires": ["nvidia-variant-provider"], "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin"}
FORCE_DRIVER = "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION"
FORCE_SM = "NV_VARIANT_PROVIDER_FORCE_SM_ARCH"

# Tags: the first ones fit this interpreter, the last two never do.
def _sys_tags() -> List[str]:
    from packaging import tags

    return [str(t) for t in tags.sys_tags()]


SYS_TAGS = _sys_tags()
# ``linux_*`` tags are left out on purpose: pip (packaging) ranks ``linux_x86_64``
# above every ``manylinux_*`` tag and uv ranks it below them (see
# test_uv_differential.test_linux_tag_order_differs_from_uv).
_PORTABLE = [t for t in SYS_TAGS if "-linux_" not in t]
GOOD_TAGS = sorted({_PORTABLE[0], _PORTABLE[min(4, len(_PORTABLE) - 1)],
                    next((t for t in _PORTABLE if "-abi3-" in t), "py3-none-any"),
                    next((t for t in SYS_TAGS if t.endswith("-none-any") and t.startswith("cp")), "py3-none-any"),
                    "py3-none-any"})
BAD_TAGS = ["cp27-cp27mu-manylinux1_i686", "py2-none-any"]


@dataclass
class Wheel:
    """One wheel of a release: ``label`` None = plain; ``props`` [] with label = null."""

    label: Optional[str]
    props: List[str] = field(default_factory=list)
    tag: str = "py3-none-any"
    build: Optional[str] = None


@dataclass
class ReleaseSpec:
    version: str
    wheels: List[Wheel]
    index: bool = True
    index_edit: Optional[str] = None  # "drop-label:<label>", "corrupt"


@dataclass
class Family:
    """A project's variant publication plus the machine to judge it on."""

    ident: str
    project: dict  # the [variant] table: default-priorities, providers
    releases: List[ReleaseSpec]
    env: Dict[str, str] = field(default_factory=dict)
    metadata_format: str = "providers"
    name: str = "pkg"
    #: JSON edits applied after varwheel wrote the metadata, to reach what uv accepts but
    #: varwheel's writers refuse (see :func:`apply_edits`).
    edits: List[tuple] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"{self.ident} env={self.env} format={self.metadata_format}",
                 f"  project={json.dumps(self.project, sort_keys=True)}"]
        parts += [f"  edit {edit!r}" for edit in self.edits]
        for rel in self.releases:
            parts.append(f"  {rel.version} index={rel.index} edit={rel.index_edit}")
            for w in rel.wheels:
                parts.append(f"    {w.label} {w.tag} {w.props}")
        return "\n".join(parts)


def build_family(family: Family, directory: Path) -> Path:
    """Write the family's wheels (and index files) into ``directory``; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    project = parse_variant_table(family.project, source=f"family {family.ident}")
    for rel in family.releases:
        docs = []
        for i, wheel in enumerate(rel.wheels):
            src = make_wheel(directory / ".src" / rel.version / str(i), family.name, rel.version, tag=wheel.tag,
                             build=wheel.build)
            if wheel.label is None:
                shutil.copy(src, directory / src.name)
                continue
            request = resolve_variant(
                wheel.props, label=wheel.label if wheel.label != "#hash" else None, null=not wheel.props,
                project=project, metadata_format=family.metadata_format,
            )
            out = make_variant(src, directory, request, force=True)
            docs.append((out.name, request.document))
            if family.edits:
                _rewrite_variant_json(out, family, rel.version, wheel)
        if rel.index and docs:
            path = directory / f"{family.name}-{rel.version}-variants.json"
            doc = merge_documents(docs)
            if rel.index_edit and rel.index_edit.startswith("drop-label:"):
                doc.variants.pop(rel.index_edit.split(":", 1)[1], None)
            raw = doc.dumps()
            if family.edits:
                raw = _dump(apply_edits(json.loads(raw), family.edits, where="index"))
            if rel.index_edit == "corrupt":
                raw = raw[: len(raw) // 2]
            path.write_bytes(raw)
    shutil.rmtree(directory / ".src", ignore_errors=True)
    return directory


def _dump(data: dict) -> bytes:
    return (json.dumps(data, indent=4, sort_keys=True) + "\n").encode()


def apply_edits(data: dict, edits: Sequence[tuple], *, where: str) -> dict:
    """Apply ``edits`` to one variant document's JSON (``where``: ``index`` or ``wheel``).

    * ``("schema", url, scope)``: ``$schema`` becomes ``url`` (``scope`` ``all`` or ``index``);
    * ``("values", label, ns, feature, [values])``: that label's values of ``ns :: feature``;
    * ``("empty-ns", label, ns)``: ``ns`` of that label maps to ``{}`` (added or emptied);
    * ``("provider", ns, entry)``: ``providers.ns`` becomes ``entry``.
    """
    for edit in edits:
        kind = edit[0]
        if kind == "schema" and (edit[2] == "all" or where == "index"):
            data["$schema"] = edit[1]
        elif kind == "values" and edit[1] in data["variants"]:
            data["variants"][edit[1]].setdefault(edit[2], {})[edit[3]] = list(edit[4])
        elif kind == "empty-ns" and edit[1] in data["variants"]:
            data["variants"][edit[1]][edit[2]] = {}
        elif kind == "provider" and edit[1] in data.get("providers", {}):
            data["providers"][edit[1]] = edit[2]
    return data


def _rewrite_variant_json(path: Path, family: "Family", version: str, wheel: "Wheel") -> None:
    """Rebuild a variant wheel with its ``variant.json`` passed through the family's edits."""
    import zipfile

    from varwheel.model.filename import WheelFilename

    with zipfile.ZipFile(path) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".dist-info/variant.json"))
        data = json.loads(zf.read(member))
    label = WheelFilename.parse(path.name).label
    path.unlink()
    rebuilt = make_wheel(path.parent / ".src" / "edited", family.name, version, tag=wheel.tag, build=wheel.build,
                         label=label, extra_dist_info={"variant.json": _dump(apply_edits(data, family.edits, where="wheel"))})
    shutil.move(str(rebuilt), str(path))


_SELECT_RE = re.compile(r"Selecting: \S+ \[compatible\] \((\S+?)\)")


def clean_env(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """This process's environment without forced NVIDIA values, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in (FORCE_DRIVER, FORCE_SM) and not k.startswith("UV_")}
    env.update(extra or {})
    return env


def uv_pick(uv: str, python: str, directory: Path, requirement: str, env: Mapping[str, str],
            cache_dir: Path) -> Tuple[Optional[str], str]:
    """``(file uv selects, or None when it finds no solution, log)``."""
    cmd = [uv, "pip", "install", "--preview-features", "wheel-variants", "--python", python,
           "--no-index", "--find-links", str(directory), requirement, "--reinstall", "--dry-run", "-v",
           "--cache-dir", str(cache_dir), "--offline", "--no-config"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(env))
    found = _SELECT_RE.findall(proc.stderr)
    if proc.returncode != 0:
        # uv may log "Selecting:" for a version it then finds unusable (its index unparsable): nothing installs.
        known = ("No solution found", "unsatisfiable", "Failed to parse variant metadata")
        if not any(text in proc.stderr for text in known):
            raise AssertionError(f"uv failed unexpectedly:\n{proc.stderr}")
        return None, proc.stderr
    return (found[-1] if found else None), proc.stderr


# -- random families ----------------------------------------------------------------------
LEVELS = ["v1", "v2", "v3", "v4"]
ISA = ["avx2", "avx512_bf16", "sha_ni", "amx_tile"]
LOWER = ["11", "11.8", "12", "12.0", "12.4", "12.6", "12.8", "12.9", "13", "13.0", "13.1", "15.20"]
UPPER = ["12.9", "13", "13.0", "14", "15", "15.20", "12.20", "12.5"]
SM = ["50_real", "75_real", "80_real", "86_real", "89_real", "90_real", "100_real", "120_real",
      "80_virtual", "90_virtual", "120_virtual", "75_virtual"]
DRIVERS = ["11.8", "12.0", "12.4", "12.6", "12.8", "12.9", "13.0", "15.20", "16.0", "10.2", "12", "abc", None]
CAPS = ["5.0", "7.5", "8.0", "8.6", "8.9", "9.0", "10.0", "12.0", "4.0", "9", None]


def _label(rng: random.Random, used: set, stem: str) -> str:
    if rng.random() < 0.3:
        return "#hash"
    while True:
        label = f"{stem}{rng.randrange(100)}" if rng.random() < 0.7 else rng.choice(["a", "b", "zz", "v", "x"]) + str(rng.randrange(10))
        if label not in used:
            used.add(label)
            return label


def _pick(rng: random.Random, pool: Sequence[str], most: int) -> List[str]:
    return rng.sample(list(pool), rng.randint(1, min(most, len(pool))))


def _static_ns(rng: random.Random, name: str) -> Tuple[dict, Dict[str, List[str]]]:
    features = {}
    for f in rng.sample(["library", "omp", "mpi", "flavor"], rng.randint(1, 3)):
        features[f] = rng.sample(["mkl", "openblas", "accelerate", "gnu", "intel", "llvm", "none"], rng.randint(2, 4))
    entry: dict = {"static-properties": features}
    if len(features) > 1:
        order = list(features)
        rng.shuffle(order)
        entry["feature-order"] = order
    if rng.random() < 0.1:
        entry["optional"] = True
    return entry, features


def _variant_props(rng: random.Random, pools: Dict[str, Dict[str, List[str]]], count: int) -> List[str]:
    props = set()
    for _ in range(count):
        ns = rng.choice(list(pools))
        feature = rng.choice(list(pools[ns]))
        for value in _pick(rng, pools[ns][feature], 2 if feature in ("level", "sm_arch") or rng.random() < 0.2 else 1):
            props.add(f"{ns} :: {feature} :: {value}")
    return sorted(props)


def _odd_provider(rng: random.Random, ns: str) -> dict:
    if ns == "x86_64":
        return rng.choice([
            X86, {"requires": ["x86-64-variant-provider>=0.1,<1"]}, {"requires": ["x86-64-variant-provider==0.0.1"]},
            {"requires": ["x86_64_variant_provider"]}, {"requires": ["x86-64-variant-provider"], "plugin-api": "x86_64_variant_provider"},
            {"requires": ["x86-64-variant-provider"], "plugin-api": "provider_variant_x86_64.plugin:X8664Plugin"},
            {"requires": ["provider-variant-x86-64>=0.0.1"], "plugin-api": "provider_variant_x86_64.plugin:X8664Plugin"},
            {"requires": ["x86-64-variant-provider"], "optional": True},
            {"requires": ["x86-64-variant-provider; sys_platform == 'linux'"]},
        ])
    if ns == "nvidia":
        return rng.choice([
            NVIDIA, {"requires": ["nvidia-variant-provider"]},
            {"requires": ["nvidia-variant-provider>=0.0.2,<1"], "plugin-api": NVIDIA["plugin-api"]},
            {"requires": ["nvidia-variant-provider<1"], "plugin-api": NVIDIA["plugin-api"]},
            {"requires": ["nvidia-variant-provider"], "plugin-api": "nvidia_variant_provider.plugin"},
        ])
    return {"requires": [f"{ns.replace('_', '-')}-variant-provider"]}


def generate_families(seed: int, count: int) -> List[Family]:
    """``count`` families from ``seed`` (same seed, same families)."""
    rng = random.Random(seed)
    kinds = ["x86", "x86", "static", "static", "nvidia", "nvidia", "nvidia", "mixed", "providers", "tags", "versions", "ties"]
    out = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        out.append(_family(rng, f"{seed}-{i}-{kind}", kind))
    return out


# -- families that need uv's lenience ----------------------------------------------------------
#: ``$schema`` URLs uv 0.13.9 does not know: it logs them and reads the document by its shape.
ODD_SCHEMAS = [
    "https://variants-schema.wheelnext.dev/v0.0.3.json",
    "https://variants-schema.wheelnext.dev/v0.0.2.json",
    "https://variants-schema.wheelnext.dev/",
    "https://variants-schema.wheelnext.dev/peps/850/v0.3.0.json",
    "https://example.com/variants.json",
    "https://variants-schema.wheelnext.dev/v0.2.0.json",
]
#: Provider entries only JSON can say (varwheel's writers refuse or never write them).
ODD_ENTRIES = {
    "x86_64": [
        {"requires": []}, {"requires": ["x86-64-variant-provider", "x86-64-variant-provider"]},
        {"requires": ["x86-64-variant-provider[extra]"]}, {"requires": ["x86-64-variant-provider @ https://example.com/p.whl"]},
        {"requires": ["X86_64.Variant-Provider"]}, {"requires": ["x86-64-variant-provider"], "plugin-api": " x86_64_variant_provider"},
        {"requires": ["x86-64-variant-provider>=0.2.1"]}, {"requires": ["x86-64-variant-provider<0.2.1"]},
        {"requires": ["x86-64-variant-provider~=0.2.0"]}, {"requires": ["x86-64-variant-provider==0.2.*"]},
        {"requires": ["not a requirement!"]}, {"builtin": "x86_64"}, {"requires": ["x86-64-variant-provider>0.2.1"]},
    ],
    "nvidia": [
        {"requires": ["nvidia-variant-provider>=0.0.1,<1"], "plugin-api": NVIDIA["plugin-api"]},
        {"requires": ["nvidia-variant-provider>=0.0.2"], "plugin-api": NVIDIA["plugin-api"]},
        {"requires": ["Nvidia_Variant.Provider"], "plugin-api": NVIDIA["plugin-api"]},
        {"requires": ["nvidia-variant-provider"], "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin.x"},
        {"requires": ["nvidia-variant-provider"], "plugin-api": "nvidia_variant_provider.plugin : NvidiaVariantPlugin"},
        {"requires": ["nvidia-variant-provider==0.0.1"], "plugin-api": NVIDIA["plugin-api"], "optional": False},
    ],
}
#: Values outside a built-in provider's vocabulary: uv finds them unsupported.
ODD_VALUES = {("x86_64", "level"): ["v5", "v0", "x86_64_v3"], ("nvidia", "sm_arch"): ["90_rea", "90", "9.0_real"],
              ("nvidia", "cuda_version_lower_bound"): ["abc", "12.x", "12.8.1"], ("aarch64", "version"): ["7a", "8", "9.0a"]}
LENIENT_BASES = ["x86", "static", "mixed", "nvidia", "providers", "versions", "tags"]


def generate_lenient_families(seed: int, count: int) -> List[Family]:
    """``count`` families whose metadata only uv's lenience reads (same seed, same families).

    Each is an ordinary generated family (:func:`generate_families`' kinds)
    plus one to three :func:`apply_edits` edits: values outside a static list
    or a built-in vocabulary (one bad label among good ones), unknown and
    legacy schema URLs, namespaces mapped to ``{}``, provider entries with odd
    specifiers, name spellings, plugin-api forms; several build tags of one label.
    """
    rng = random.Random(seed)
    out = []
    for i in range(count):
        base = LENIENT_BASES[i % len(LENIENT_BASES)]
        family = _family(rng, f"{seed}-{i}-lenient{base}", base)
        family.edits = _lenient_edits(rng, family)
        if rng.random() < 0.3:
            _add_build_tags(rng, family)
        out.append(family)
    return out


def _final_label(wheel: Wheel) -> Optional[str]:
    if wheel.label == "#hash":
        from varwheel.model.properties import VariantDescription

        return VariantDescription.parse(wheel.props).hash_label()
    return wheel.label


def _lenient_edits(rng: random.Random, family: Family) -> List[tuple]:
    providers = family.project["providers"]
    labelled = [(w, _final_label(w)) for rel in family.releases for w in rel.wheels if w.label not in (None, "null")]
    edits: List[tuple] = []
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.3 and labelled:
            wheel, label = rng.choice(labelled)
            prop = rng.choice(wheel.props).split(" :: ")
            ns, feature = prop[0], prop[1]
            static = providers.get(ns, {}).get("static-properties", {}).get(feature)
            if static is not None:
                bad = next(v for v in ("atlas", "blis", "zzz") if v not in static)
            else:
                bad = rng.choice(ODD_VALUES.get((ns, feature), ["odd_value"]))
            current = [p.split(" :: ")[2] for p in wheel.props if p.startswith(f"{ns} :: {feature} :: ")]
            values = rng.choice([[bad], sorted({bad, *current}), sorted(current, reverse=True)])
            edits.append(("values", label, ns, feature, values))
        elif roll < 0.5:
            edits.append(("schema", rng.choice(ODD_SCHEMAS), rng.choice(["all", "all", "index"])))
        elif roll < 0.7 and labelled:
            wheel, label = rng.choice(labelled)
            namespaces = sorted({p.split(" :: ")[0] for p in wheel.props})
            edits.append(("empty-ns", label, rng.choice(namespaces + ["extra_ns"])))
        else:
            odd = [ns for ns in providers if ns in ODD_ENTRIES]
            if odd:
                ns = rng.choice(odd)
                edits.append(("provider", ns, rng.choice(ODD_ENTRIES[ns])))
    return edits


def _add_build_tags(rng: random.Random, family: Family) -> None:
    """One labelled wheel also published under one or two build tags."""
    rel = rng.choice(family.releases)
    candidates = [w for w in rel.wheels if w.label is not None]
    if not candidates:
        return
    wheel = rng.choice(candidates)
    for build in rng.sample(["1", "2", "10", "2a"], rng.randint(1, 2)):
        rel.wheels.append(Wheel(wheel.label, list(wheel.props), wheel.tag, build))


def _family(rng: random.Random, ident: str, kind: str) -> Family:
    providers: Dict[str, dict] = {}
    pools: Dict[str, Dict[str, List[str]]] = {}
    env: Dict[str, str] = {}
    fmt = "providers"
    if kind in ("x86", "mixed", "tags", "versions", "ties") or (kind == "static" and rng.random() < 0.5):
        providers["x86_64"] = X86
        pools["x86_64"] = {"level": LEVELS}
        if kind == "x86" and rng.random() < 0.4:
            pools["x86_64"].update({isa: ["on"] for isa in rng.sample(ISA, 2)})
    if kind in ("static", "mixed") or (kind == "ties" and rng.random() < 0.5):
        for ns in rng.sample(["blas", "omp_rt", "mpi"], rng.randint(1, 2)):
            entry, features = _static_ns(rng, ns)
            providers[ns] = entry
            pools[ns] = features
    if kind in ("nvidia", "mixed") or (kind == "providers" and rng.random() < 0.5):
        providers["nvidia"] = NVIDIA
        pools["nvidia"] = {"cuda_version_lower_bound": LOWER, "cuda_version_upper_bound": UPPER, "sm_arch": SM}
    if kind in ("nvidia", "mixed", "providers"):
        driver, cap = rng.choice(DRIVERS), rng.choice(CAPS)
        if driver is not None:
            env[FORCE_DRIVER] = driver
        if cap is not None:
            env[FORCE_SM] = cap
    if kind == "providers":
        for ns in rng.sample(["x86_64", "nvidia", "aarch64", "myplugin"], rng.randint(1, 3)):
            providers[ns] = _odd_provider(rng, ns)
            pools[ns] = {"x86_64": {"level": LEVELS}, "aarch64": {"version": ["8a", "8.1a", "8.2a", "8.4a"]},
                         "myplugin": {"thing": ["a", "b"]},
                         "nvidia": {"cuda_version_lower_bound": LOWER, "sm_arch": SM}}[ns]
        if rng.random() < 0.15:
            fmt = "pep825"
    namespaces = list(providers)
    rng.shuffle(namespaces)
    project = {"default-priorities": {"namespace": namespaces}, "providers": providers}
    used: set = set()

    def variants(n: int) -> List[Wheel]:
        wheels = []
        seen_props = []
        for _ in range(n):
            if kind == "ties" and seen_props and rng.random() < 0.5:
                props = rng.choice(seen_props)
            else:
                props = _variant_props(rng, pools, rng.randint(1, 3))
            if props in seen_props and kind != "ties":
                continue
            seen_props.append(props)
            label = _label(rng, used, "v")
            if label == "#hash":
                if any(w.label == "#hash" and w.props == props for w in wheels):
                    continue
            tag = rng.choice(GOOD_TAGS + BAD_TAGS) if kind == "tags" else "py3-none-any"
            wheels.append(Wheel(label, props, tag))
        if kind == "tags" and wheels:
            # one label under two tags
            w = rng.choice(wheels)
            if w.label != "#hash":
                wheels.append(Wheel(w.label, w.props, rng.choice([t for t in GOOD_TAGS if t != w.tag])))
        if rng.random() < 0.5:
            wheels.append(Wheel("null", [], rng.choice(GOOD_TAGS) if kind == "tags" else "py3-none-any"))
        if rng.random() < 0.35:
            wheels.append(Wheel(None, [], rng.choice(GOOD_TAGS + BAD_TAGS) if kind == "tags" else "py3-none-any"))
        return wheels

    releases = [ReleaseSpec("1.0", variants(rng.randint(2, 6)))]
    if kind == "versions":
        releases.append(ReleaseSpec("2.0", variants(rng.randint(1, 3))))
    for rel in releases:
        roll = rng.random()
        rel.index = roll > 0.2
        if rel.index and kind in ("x86", "static") and rng.random() < 0.2:
            labelled = [w.label for w in rel.wheels if w.label not in (None, "#hash")]
            if labelled and rng.random() < 0.7:
                rel.index_edit = f"drop-label:{rng.choice(labelled)}"
            else:
                rel.index_edit = "corrupt"
    return Family(ident, project, releases, env, fmt)


# -- fake driver libraries -------------------------------------------------------------------
NVML_C = r"""
#include <string.h>
static int fail_init(void) { const char *e = FAIL_INIT; return e[0] ? 9 : 0; }
int nvmlInit_v2(void) { return fail_init(); }
int nvmlShutdown(void) { return 0; }
const char *nvmlErrorString(int r) { return r == 9 ? "Driver Not Loaded" : "Unknown Error"; }
int nvmlSystemGetCudaDriverVersion_v2(int *v) { *v = DRIVER; return 0; }
int nvmlDeviceGetCount_v2(unsigned int *n) { *n = COUNT; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **h) { *h = (void *)(long)(i + 1); return 0; }
int nvmlDeviceGetCudaComputeCapability(void *h, int *major, int *minor) {
    static const int caps[][2] = {CAPS};
    long i = (long)h - 1; *major = caps[i][0]; *minor = caps[i][1]; return 0;
}
"""

CUDA_C = r"""
int cuDriverGetVersion(int *v) { *v = DRIVER; return 0; }
int cuInit(unsigned int flags) { return INIT_RESULT; }
int cuGetErrorString(int r, const char **s) { *s = r == 100 ? "no CUDA-capable device is detected" : "stub"; return 0; }
int cuDeviceGetCount(int *n) { *n = COUNT; return 0; }
int cuDeviceGet(int *d, int i) { *d = i; return 0; }
int cuDeviceGetAttribute(int *v, int attr, int d) {
    static const int caps[][2] = {CAPS};
    *v = attr == 75 ? caps[d][0] : caps[d][1]; return 0;
}
"""


def compile_fake_nvml(directory: Path, *, driver: int = 12080, caps: Sequence[Tuple[int, int]] = ((9, 0),),
                      fail_init: bool = False) -> Path:
    """A ``libnvidia-ml.so.1`` in ``directory`` answering with these values."""
    caps_c = ", ".join(f"{{{a}, {b}}}" for a, b in caps) or "{0, 0}"
    src = NVML_C.replace("FAIL_INIT", '"x"' if fail_init else '""').replace("DRIVER", str(driver)) \
        .replace("COUNT", str(len(caps))).replace("CAPS", caps_c)
    return _compile(directory, "libnvidia-ml.so.1", src)


def compile_fake_libcuda(directory: Path, *, driver: int = 12080, caps: Sequence[Tuple[int, int]] = ((9, 0),),
                         init_result: int = 0) -> Path:
    """A ``libcuda.so.1`` in ``directory`` answering with these values."""
    caps_c = ", ".join(f"{{{a}, {b}}}" for a, b in caps) or "{0, 0}"
    src = CUDA_C.replace("DRIVER", str(driver)).replace("COUNT", str(len(caps))).replace("CAPS", caps_c) \
        .replace("INIT_RESULT", str(init_result))
    return _compile(directory, "libcuda.so.1", src)


def _compile(directory: Path, name: str, source: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    c_file = directory / (name + ".c")
    c_file.write_text(source)
    out = directory / name
    proc = subprocess.run(["cc", "-shared", "-fPIC", "-o", str(out), str(c_file)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"cc failed: {proc.stderr}")
    return out
