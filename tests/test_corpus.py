"""Every published PEP 817-era variant index file, read, shown, upgraded and installed by real uv 0.13.9.

``tests/data/published-variant-metadata/`` is a copy of the shared corpus
(its README names the sources: the WheelNext test index, variantlib's test
package, PyTorch's repackaging configs).  For each of its 184 index files:

(a) :func:`read_draft` names its draft and says what uv 0.13.9 does with it;
    real uv is run on the published file beside wheels written the way the
    publishers' tools wrote them (each wheel's ``variant.json`` is the index
    document with only its own label), and must do exactly that (cannot read
    it, and so refuses the release plain wheel included; or reads it);
    ``varwheel show`` describes it;
(b) the family: one tiny wheel per label, plus the plain wheel when the
    publisher's family has a null variant;
(c) ``varwheel upgrade`` converts the wheels, ``varwheel index`` indexes the
    folder; the index equals the upgraded published file and upgrading again
    changes nothing;
(d) real uv accepts the result and, under forced NVIDIA driver and GPU values
    on this machine's CPU, installs the variant the publisher's metadata
    intended.  That expectation is computed here, from the *legacy* document's
    own semantics only (:func:`legacy_choice`), never from uv's answer;
(e) :func:`varwheel.machine.select.select` names the same file.

Files are handled in batches (one find-links folder per batch, one uv run
per scenario for all families expected to install something), with one
target venv and one uv cache for the module.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import pytest

from fixtures.wheel_factory import make_wheel
from tests.conftest import ROOT, run_cli
from tests.helpers_core import assert_kept_verbatim, assert_record_consistent
from tests.helpers_select import FORCE_DRIVER, FORCE_SM, clean_env
from varwheel.errors import InvalidMetadata
from varwheel.machine.select import select
from varwheel.model.document import VariantDocument
from varwheel.model.drafts import LEGACY_DRAFTS, OLD_NULL_LABEL, read_draft, upgrade_document

CORPUS = ROOT / "tests" / "data" / "published-variant-metadata"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus" / "published-variant-metadata"
INDEX_FILES = sorted(CORPUS.rglob("*-variants.json"))
BATCH = 16


def _groups() -> List[List[Path]]:
    """Batches of at most BATCH files of one draft folder, no package twice in a batch.

    One uv run then installs every family of a batch at once (``name==version``
    each), which needs one version per name.
    """
    out: List[List[Path]] = []
    folder_of: List[str] = []
    for path in INDEX_FILES:
        folder = _folder(path)
        name = _family_name(path)
        for batch, batch_folder in zip(out, folder_of):
            if batch_folder == folder and len(batch) < BATCH and name not in {_family_name(p) for p in batch}:
                batch.append(path)
                break
        else:
            out.append([path])
            folder_of.append(folder)
    return out


def _folder(path: Path) -> str:
    """The corpus folder a file comes from: ``wheelnext-index/v0.0.2``, ``variant-repack``, ..."""
    rel = path.relative_to(CORPUS)
    return "/".join(rel.parts[:2]) if len(rel.parts) > 2 else rel.parts[0]


def _family_name(path: Path) -> str:
    # torch-2.9-torch-2.9.0-variants.json (variant-repack: config folder, then the file): the last two parts.
    return path.name[: -len("-variants.json")].split("-")[-2].replace("-", "_")


GROUPS = _groups()

# Forced NVIDIA machines (driver version, compute capability): a Hopper on a 12.8 driver, a Blackwell
# on 13.0, a Turing on 12.4, and a driver too old for any published CUDA variant.
SCENARIOS: Dict[str, Tuple[str, str]] = {
    "12.8-sm90": ("12.8", "9.0"),
    "13.0-sm120": ("13.0", "12.0"),
    "12.4-sm75": ("12.4", "7.5"),
    "10.2-sm90": ("10.2", "9.0"),
}


# -- the legacy semantics (what the publisher's metadata means) ---------------------------------
def _version(text: str) -> Tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def cpu_x86_level() -> int:
    """This machine's x86-64 psABI level from /proc/cpuinfo (spec section 8's flag lists); 0 when not x86-64."""
    import platform

    if platform.machine() not in ("x86_64", "AMD64"):
        return 0
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return 0
    flags = set(next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), []))
    levels = [
        {"cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2"},
        {"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"},
        {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"},
        {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
    ]
    level = 0
    for needed in levels:
        if not needed <= flags:
            break
        level += 1
    return level


Rank = Callable[[str], Optional[Any]]  # a value's rank when supported (smaller is better), else None


def _nvidia(driver: str, capability: str) -> Dict[str, Rank]:
    """nvidia-variant-provider's meaning: a lower bound at or below the driver, an upper bound above it,
    and SASS for the GPU's own major version at or below its minor (PTX for its major.0), newest first."""
    drv = _version(driver)
    major, minor = (int(p) for p in capability.split("."))

    def lower(value: str) -> Optional[Any]:
        v = _version(value)
        return None if v[0] < 11 or v > drv else (tuple(-p for p in v), len(v) == 1)

    def upper(value: str) -> Optional[Any]:
        v = _version(value)
        return None if v <= drv else tuple(-p for p in v)

    def sm(value: str) -> Optional[Any]:
        m = re.fullmatch(r"(\d+)(\d)_(real|virtual)", value)
        if not m or int(m.group(1)) != major or int(m.group(2)) > minor:
            return None
        return (0, -int(m.group(2))) if m.group(3) == "real" else (1, -int(m.group(2)))

    return {"cuda_version_lower_bound": lower, "cuda_version_upper_bound": upper, "sm_arch": sm}


def _static(values: Sequence[str]) -> Rank:
    return lambda value: values.index(value) if value in values else None


def legacy_support(doc: Mapping[str, Any], scenario: Tuple[str, str]) -> Dict[str, List[Tuple[str, Rank]]]:
    """namespace -> [(feature, rank)] in feature preference order, as the legacy document means it here.

    enable-if markers are evaluated on this machine; an optional provider is
    not opted into; a provider not run at install time (install-time false,
    plugin-use build/none) supports its declared values (top-level
    static-properties, else default-priorities.property: variantlib's
    "package-defined properties"), ordered by default-priorities.property and
    .feature; x86_64 supports this CPU's level and below; nvidia the scenario;
    any other plugin (AMD, Intel, the test plugin) cannot run here: unsupported.
    A static namespace with no default-priorities.feature entry takes its
    features from the property table (torch's ``priority``: PyTorch's
    repackaging configs declare only ``property.priority.order``).
    """
    from packaging.markers import Marker

    prio = doc.get("default-priorities", {})
    feature_prio = prio.get("feature", {})
    property_prio = prio.get("property", {})
    top_static = doc.get("static-properties", {})
    out: Dict[str, List[Tuple[str, Rank]]] = {}
    for ns, provider in doc["providers"].items():
        if provider.get("optional") or ("enable-if" in provider and not Marker(provider["enable-if"]).evaluate()):
            continue
        if provider.get("install-time") is False or provider.get("plugin-use") in ("build", "none"):
            declared = top_static.get(ns) or property_prio.get(ns) or {}
            prefs = property_prio.get(ns, {})
            order = [f for f in feature_prio.get(ns, []) if f in declared] + [
                f for f in declared if f not in feature_prio.get(ns, [])]
            features = []
            for f in order:
                ranked = [v for v in prefs.get(f, []) if v in declared[f]]
                features.append((f, _static(ranked + [v for v in declared[f] if v not in ranked])))
            out[ns] = features
            continue
        name = re.split(r"[<>=!~ ;\[]", provider["requires"][0])[0].lower().replace("_", "-")
        if name == "nvidia-variant-provider":
            out[ns] = list(_nvidia(*scenario).items())
        elif name in ("provider-variant-x86-64", "x86-64-variant-provider"):
            level = cpu_x86_level()
            out[ns] = [("level", lambda v, level=level: (-int(v[1:]) if re.fullmatch(r"v[1-4]", v)
                                                         and int(v[1:]) <= level else None))]
    return out


def legacy_choice(doc: Mapping[str, Any], scenario: Tuple[str, str], *, has_plain: bool) -> Optional[str]:
    """The label the legacy document makes an installer choose here (spec section 7 ranking), ``""`` for the
    plain wheel, ``None`` for nothing.  Labels are the wheels' (``00000000`` is the null variant)."""
    support = legacy_support(doc, scenario)
    namespaces = doc["default-priorities"]["namespace"]
    ranked = []
    null = None
    for label, props in doc["variants"].items():
        features = [(ns, f, vals) for ns, fs in props.items() for f, vals in fs.items()]
        if not features:
            null = label if null is None or label == "null" else null
            continue
        keys = []
        for ns, feature, values in features:
            known = dict(support.get(ns, []))
            if feature not in known:
                break
            ranks = [r for r in (known[feature](v) for v in values) if r is not None]
            if not ranks:
                break
            fidx = [f for f, _ in support[ns]].index(feature)
            keys.append((namespaces.index(ns), fidx, min(ranks)))
        else:
            ranked.append((tuple(sorted(keys)) + ((1 << 30,),), label))
    if ranked:
        return min(ranked)[1]
    if null is not None:
        return null
    return "" if has_plain else None


# -- building and running ---------------------------------------------------------------------
@dataclass
class Family:
    path: Path  # the published index file
    name: str
    version: str
    doc: Dict[str, Any]
    has_null: bool

    @property
    def nvidia(self) -> bool:
        return "nvidia" in self.doc["providers"]

    def filename(self, label: Optional[str], *, upgraded: bool = True) -> Optional[str]:
        """The wheel of a legacy label ("" plain, None nothing); upgraded, ``00000000`` is named ``-null``."""
        if label is None:
            return None
        if label == "":
            return f"{self.name}-{self.version}-py3-none-any.whl"
        if upgraded and label == OLD_NULL_LABEL:
            label = "null"
        return f"{self.name}-{self.version}-py3-none-any-{label}.whl"


def _family(path: Path) -> Family:
    doc = json.loads(path.read_text())
    has_null = any(not props for props in doc["variants"].values())
    return Family(path, _family_name(path), path.name[: -len("-variants.json")].split("-")[-1], doc, has_null)


def write_legacy_family(family: Family, directory: Path) -> Path:
    """The published index beside one wheel per label (each variant.json: the index with only its label)."""
    directory.mkdir(parents=True)
    for label, props in family.doc["variants"].items():
        own = dict(family.doc, variants={label: props})
        make_wheel(directory, family.name, family.version, label=label,
                   extra_dist_info={"variant.json": json.dumps(own, indent=4, sort_keys=True)})
    if family.has_null:
        make_wheel(directory, family.name, family.version)
    shutil.copy(family.path, directory / f"{family.name}-{family.version}-variants.json")
    return directory


_SELECT_RE = re.compile(r"Selecting: \S+ \[compatible\] \((\S+?)\)")


def uv_install(uv: str, python: str, directory: Path, requirements: Sequence[str], env: Mapping[str, str],
               cache: Path) -> subprocess.CompletedProcess:
    cmd = [uv, "pip", "install", "--preview-features", "wheel-variants", "--python", python, "--no-index",
           "--find-links", str(directory), *requirements, "--reinstall", "--dry-run", "-v",
           "--cache-dir", str(cache), "--offline", "--no-config"]
    return subprocess.run(cmd, capture_output=True, text=True, env=clean_env(env))


def uv_many(uv: str, python: str, jobs: Sequence[Tuple[Path, Sequence[str], Mapping[str, str]]],
            cache: Path) -> List[subprocess.CompletedProcess]:
    """Independent uv runs, a few at a time (each is mostly start-up; one cache serves them all)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda job: uv_install(uv, python, job[0], job[1], job[2], cache), jobs))


def _picks(proc: subprocess.CompletedProcess) -> Dict[str, str]:
    return {f.split("-")[0]: f for f in _SELECT_RE.findall(proc.stderr)}


@pytest.fixture(scope="module")
def target_python(tmp_path_factory, uv_bin) -> str:
    venv = tmp_path_factory.mktemp("uv-target") / "venv"
    proc = subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(venv)],
                          capture_output=True, text=True, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    return str(venv / "bin" / "python")


@pytest.fixture(scope="module")
def uv_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


def _tree_digest(directory: Path) -> Dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


# -- the tests ----------------------------------------------------------------------------------
def test_corpus_copy_matches_the_shared_corpus():
    if not SHARED_CORPUS.exists():
        pytest.skip(f"the shared corpus is not beside this clone ({SHARED_CORPUS} absent)")
    ours = {p.relative_to(CORPUS): p.read_bytes() for p in CORPUS.rglob("*") if p.is_file()}
    theirs = {p.relative_to(SHARED_CORPUS): p.read_bytes() for p in SHARED_CORPUS.rglob("*") if p.is_file()}
    assert ours == theirs, "tests/data/published-variant-metadata is out of date: copy the shared corpus over it"


def test_the_corpus_is_all_there():
    assert len(INDEX_FILES) == 184
    assert sum(len(g) for g in GROUPS) == 184
    drafts = {read_draft(json.loads(p.read_text())).draft for p in INDEX_FILES}
    assert drafts == {"v0.0.2", "v0.0.3"}


def test_legacy_semantics_prefer_what_the_publishers_ranked():
    """The expectation model itself, on cases whose answer the publishers state (not uv's)."""
    torch = json.loads((CORPUS / "wheelnext-index/v0.0.2/torch/torch-2.9.0-variants.json").read_text())
    # 12.8 driver, Hopper: cuda12.6 and cuda12.8 both fit; priority :: order says 2 (cuda12.8) beats 3.
    assert legacy_choice(torch, ("12.8", "9.0"), has_plain=True) == "cuda12.8"
    assert legacy_choice(torch, ("13.0", "12.0"), has_plain=True) == "cuda13.0"
    assert legacy_choice(torch, ("10.2", "9.0"), has_plain=True) == "null"
    numpy = json.loads((CORPUS / "wheelnext-index/v0.0.2/numpy/numpy-2.3.3-variants.json").read_text())
    assert legacy_choice(numpy, ("12.8", "9.0"), has_plain=False) == (
        "x8664v4_mkl" if cpu_x86_level() >= 4 else "accelerate")


@pytest.mark.parametrize("group", range(len(GROUPS)),
                         ids=[f"{_folder(g[0])}-{i}" for i, g in enumerate(GROUPS)])
def test_published_files_upgrade_to_what_uv_installs(group, tmp_path, uv_bin, target_python, uv_cache):
    families = [_family(p) for p in GROUPS[group]]
    assert len({f.name for f in families}) == len(families), "package names must be unique in a batch"
    legacy_root, new = tmp_path / "legacy", tmp_path / "new"
    problems: List[str] = []
    wheels: List[Path] = []
    folders = [write_legacy_family(family, legacy_root / family.name) for family in families]
    check = SCENARIOS["12.8-sm90"]
    check_env = {FORCE_DRIVER: check[0], FORCE_SM: check[1]}
    legacy_runs = uv_many(uv_bin, target_python,
                          [(folder, [f"{f.name}=={f.version}"], check_env) for f, folder in zip(families, folders)],
                          uv_cache)
    for family, folder, proc in zip(families, folders, legacy_runs):
        where = family.path.relative_to(CORPUS)
        wheels += sorted(folder.glob("*.whl"))
        # (a) the reading, checked against real uv on the published file and against varwheel's reader.
        reading = read_draft(family.doc)
        assert reading.draft in LEGACY_DRAFTS and reading.legacy, where
        try:
            VariantDocument.from_json(family.doc, source=str(where))
            varwheel_reads = True
        except InvalidMetadata:
            varwheel_reads = False
        assert varwheel_reads == (reading.uv != "fails-version"), (where, reading)
        if reading.uv == "fails-version":
            if proc.returncode == 0 or "Failed to parse variant metadata" not in proc.stderr:
                problems.append(f"{where}: read_draft says uv cannot read it, but uv: rc={proc.returncode}\n"
                                + proc.stderr[-1500:])
        else:
            picked = _picks(proc).get(family.name)
            wanted = family.filename(legacy_choice(family.doc, check, has_plain=family.has_null), upgraded=False)
            if proc.returncode != 0 or picked != wanted:
                problems.append(f"{where}: read_draft says uv {reading.uv} it; uv picked {picked}, expected {wanted}")
        shown = run_cli("show", folder / f"{family.name}-{family.version}-variants.json")
        assert shown.returncode == 0, (where, shown.stderr)
        assert reading.describe() in shown.stdout, where
        assert all(f"  {label}: " in shown.stdout for label in family.doc["variants"]), where
    before = {f.name: _tree_digest(legacy_root / f.name) for f in families}
    # (c) upgrade the wheels of every family into one folder, then index it.
    proc = run_cli("upgrade", *wheels, "-o", new)
    assert proc.returncode == 0, proc.stderr
    # Every variant wheel is converted (its header names the draft); each plain wheel is copied as it is.
    assert proc.stdout.count(" draft, ") == len(wheels) - sum(f.has_null for f in families), proc.stdout
    assert proc.stdout.count("copied unchanged (a plain wheel") == sum(f.has_null for f in families)
    assert run_cli("index", new).returncode == 0
    assert {f.name: _tree_digest(legacy_root / f.name) for f in families} == before, "an input changed"
    for family in families:
        index = new / f"{family.name}-{family.version}-variants.json"
        written = VariantDocument.loads(index.read_bytes(), source=index.name)
        converted, changes = upgrade_document(family.doc, source=family.path.name)
        assert changes and written.same_content(VariantDocument.from_json(converted)), family.path
        assert upgrade_document(written.to_json(), source=index.name)[1] == [], "upgrading twice changes nothing"
        assert read_draft(written.to_json()).uv != "fails-version"
    for wheel in sorted(new.glob("*.whl"))[:3]:
        assert_record_consistent(wheel)
    # (d) + (e): real uv and varwheel select on the upgraded folder, per forced machine.
    for scenario_name, scenario in SCENARIOS.items():
        env = {FORCE_DRIVER: scenario[0], FORCE_SM: scenario[1]}
        todo = [f for f in families if f.nvidia or scenario_name == "12.8-sm90"]
        wanted = {f.name: f.filename(legacy_choice(f.doc, scenario, has_plain=f.has_null)) for f in todo}
        installable = [f for f in todo if wanted[f.name] is not None]
        if installable:
            proc = uv_install(uv_bin, target_python, new, [f"{f.name}=={f.version}" for f in installable], env,
                              uv_cache)
            picks = _picks(proc)
            if proc.returncode != 0:
                problems.append(f"{scenario_name}: uv failed on the upgraded batch:\n{proc.stderr[-2000:]}")
            for f in installable:
                if picks.get(f.name) != wanted[f.name]:
                    problems.append(f"{scenario_name}: {f.path.relative_to(CORPUS)}: uv picked "
                                    f"{picks.get(f.name)}, the publisher's metadata means {wanted[f.name]}")
        # Nothing fits and there is no null: uv must find no solution (one run each: a failure is per run).
        nothing = [f for f in todo if wanted[f.name] is None]
        for f, proc in zip(nothing, uv_many(uv_bin, target_python,
                                            [(new, [f"{f.name}=={f.version}"], env) for f in nothing], uv_cache)):
            if proc.returncode == 0 or "No solution found" not in proc.stderr:
                problems.append(f"{scenario_name}: {f.path.relative_to(CORPUS)}: uv installed "
                                f"{_picks(proc)}, the publisher's metadata means nothing fits")
        for f in todo:
            sel = select(f"{f.name}=={f.version}", [new], env=clean_env(env))
            ours = sel.chosen.name if sel.chosen else None
            if ours != wanted[f.name]:
                problems.append(f"{scenario_name}: {f.path.relative_to(CORPUS)}: varwheel select names {ours}, "
                                f"expected {wanted[f.name]}")
    assert not problems, "\n".join(problems)


def test_real_legacy_wheels_upgrade_index_and_install(tmp_path, uv_bin, target_python, uv_cache):
    """variantlib's own v0.0.3 test wheels (written by the WheelNext flit fork): upgrade, index, uv."""
    src = CORPUS / "variantlib-test-package"
    before = _tree_digest(src)
    out = tmp_path / "out"
    proc = run_cli("upgrade", src, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "test_package-0-py3-none-any.whl: copied unchanged (a plain wheel" in proc.stdout
    assert _tree_digest(src) == before
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in src.iterdir() if p.name != "pyproject.toml")
    for wheel in out.glob("*-*-*-*-*-*.whl"):  # the labelled ones: members copied raw, RECORD rewritten
        assert_kept_verbatim(src / wheel.name, wheel)
        assert_record_consistent(wheel)
        with pytest.raises(AssertionError):  # the legacy file's own variant.json did change
            assert_kept_verbatim(src / wheel.name, wheel, names=["test_package-0.dist-info/variant.json"])
    published = json.loads((src / "test_package-0-variants.json").read_text())
    (out / "test_package-0-variants.json").unlink()  # the index comes from the upgraded wheels
    assert run_cli("index", out).returncode == 0
    written = VariantDocument.loads((out / "test_package-0-variants.json").read_bytes())
    assert written.same_content(VariantDocument.from_json(upgrade_document(published, source="x")[0]))
    expected = legacy_choice(published, SCENARIOS["12.8-sm90"], has_plain=True)
    assert expected == "null"  # its only namespace needs a plugin nobody runs here
    proc = uv_install(uv_bin, target_python, out, ["test-package"], {}, uv_cache)
    assert proc.returncode == 0, proc.stderr
    assert _picks(proc) == {"test_package": "test_package-0-py3-none-any-null.whl"}
    sel = select("test-package", [out], env=clean_env())
    assert sel.chosen is not None and sel.chosen.name == "test_package-0-py3-none-any-null.whl"
    # Upgrading the upgraded folder copies everything unchanged.
    again = run_cli("upgrade", out, "-o", tmp_path / "again")
    assert again.returncode == 0 and again.stdout.count("copied unchanged") == len(list(out.iterdir()))
