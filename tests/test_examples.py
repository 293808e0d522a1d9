"""The two pipeline examples, run as their READMEs say.

examples/cuda-extension: cibuildwheel cannot build Linux wheels here (no
container engine), so (a) its configuration is loaded by cibuildwheel's own
option reader for every entry of ``varwheel matrix``, with the environment
the workflow sets, and (b) the job's steps run without containers: the varwheel
backend builds each variant with a deferred label in an isolated
``python -m build``, ``auditwheel repair`` (the repair command cibuildwheel's
options give) repairs it, then the example's own ``ci/after-build.sh`` and
``ci/publish.sh`` (relabel, unmake-variant, index, check) run, and uv (preview)
installs from the result, also through an HTTP find-links page.

examples/repackage-cuda: per-CUDA fixture wheels become one family; uv picks
under forced driver versions (ORACLES.md's expected choices).
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers_pipeline import NVIDIA_ENV, clean_env, new_venv, uv_install

EXAMPLE1 = ROOT / "examples" / "cuda-extension"
EXAMPLE2 = ROOT / "examples" / "repackage-cuda"
VENV_BIN = Path(sys.executable).parent
NVCC = shutil.which("nvcc") or ("/usr/local/cuda/bin/nvcc" if Path("/usr/local/cuda/bin/nvcc").exists() else None)
IDENTIFIERS = ["cp311-manylinux_x86_64", "cp312-manylinux_x86_64", "cp313-manylinux_x86_64"]

needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc is not installed: the cu130 variant compiles CUDA code")
linux_x86 = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and os.uname().machine == "x86_64"),
    reason="the example builds manylinux x86_64 wheels (auditwheel, -march=x86-64-v3)",
)


def tool_env(extra=None) -> dict:
    env = dict(os.environ)
    path = [str(VENV_BIN)] + ([str(Path(NVCC).parent)] if NVCC else []) + [env.get("PATH", "")]
    env["PATH"] = os.pathsep.join(path)
    env.update(extra or {})
    return env


def run(cmd, *, env=None, cwd=None, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env or tool_env(), cwd=cwd)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def cpu_has_avx2() -> bool:
    flags = re.search(r"^flags\s*:(.*)$", Path("/proc/cpuinfo").read_text(), re.M).group(1).split()
    return {"avx2", "fma", "bmi2", "movbe"} <= set(flags)


# == example 1: CUDA + CPU-level extension ======================================================


def matrix(project: Path, fmt: str = "json"):
    out = run([sys.executable, "-m", "varwheel", "matrix", "--pyproject-toml", project / "pyproject.toml",
               "--format", fmt]).stdout
    return json.loads(out)


def workflow_env(entry: dict) -> dict:
    """The build job's env for one matrix entry, evaluated as GitHub Actions would."""
    text = (EXAMPLE1 / ".github" / "workflows" / "wheels.yml").read_text()
    # Keep this in step with the workflow: fail if the lines it relies on change.
    assert "CIBW_CONFIG_SETTINGS: ${{ matrix.config-settings }}" in text
    assert ("CIBW_BEFORE_ALL_LINUX: ${{ contains(join(matrix.properties, ' '), 'nvidia ::') && "
            "'sh {project}/ci/install-cuda.sh' || '' }}") in text
    assert "CIBW_ENVIRONMENT_LINUX: PATH=/usr/local/cuda/bin:$PATH" in text
    cuda = "nvidia ::" in " ".join(entry["properties"])
    return {
        "CIBW_CONFIG_SETTINGS": entry["config-settings"],
        "CIBW_BEFORE_ALL_LINUX": "sh {project}/ci/install-cuda.sh" if cuda else "",
        "CIBW_ENVIRONMENT_LINUX": "PATH=/usr/local/cuda/bin:$PATH",
    }


def cibw_options(project: Path, env: dict):
    from cibuildwheel.options import CommandLineArguments, compute_options

    args = dataclasses.replace(CommandLineArguments.defaults(), platform="linux", package_dir=project)
    base = {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}
    return compute_options("linux", args, {**base, **env})


def test_example1_workflow_takes_its_matrix_from_varwheel_and_runs_the_ci_scripts():
    text = (EXAMPLE1 / ".github" / "workflows" / "wheels.yml").read_text()
    for line in ('run: echo "matrix=$(varwheel matrix --format github)" >> "$GITHUB_OUTPUT"',
                 "matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}",
                 "run: sh ci/after-build.sh wheelhouse",
                 "run: sh ci/publish.sh dist"):
        assert line in text, line
    assert (EXAMPLE1 / "ci" / "after-build.sh").read_text().count("varwheel relabel") == 1
    publish = (EXAMPLE1 / "ci" / "publish.sh").read_text()
    for step in ("varwheel unmake-variant", "varwheel index", "varwheel check --strict"):
        assert step in publish


def test_example1_matrix_has_one_deferred_entry_per_variant():
    entries = matrix(EXAMPLE1, "github")["include"]
    assert [(e["label"], e["config-settings"]) for e in entries] == [
        ("cu130", "variant-label=cu130 variant-defer-label=true"),
        ("x86_64_v3", "variant-label=x86_64_v3 variant-defer-label=true"),
        ("null", "null-variant=true variant-defer-label=true"),
    ]


@pytest.mark.parametrize("label", ["cu130", "x86_64_v3", "null"])
def test_example1_cibuildwheel_loads_the_configuration_of_each_job(label):
    """(a) cibuildwheel's own CLI and option reader, with the job's environment."""
    from cibuildwheel.frontend import get_build_frontend_extra_flags, parse_config_settings

    from varwheel.build.settings import parse_settings

    entry = next(e for e in matrix(EXAMPLE1) if e["label"] == label)
    env = workflow_env(entry)
    proc = run(["cibuildwheel", "--print-build-identifiers", "--platform", "linux", EXAMPLE1],
               env=tool_env(env))
    assert proc.stdout.split() == IDENTIFIERS
    options = cibw_options(EXAMPLE1, env)
    for identifier in IDENTIFIERS:
        build = options.build_options(identifier)
        assert build.build_frontend.name == "build"
        assert build.repair_command == "auditwheel repair -w {dest_dir} {wheel}"
        assert build.before_all == env["CIBW_BEFORE_ALL_LINUX"]
        assert "vwcuda.info()" in build.test_command
        flags = get_build_frontend_extra_flags(build.build_frontend, 0, build.config_settings)
        assert flags == entry["build-args"].split()
        settings, rest = parse_settings(parse_config_settings(build.config_settings))
        assert rest == {} and settings.defer_label
        assert (settings.null, settings.label) == ((True, None) if label == "null" else (False, label))
    assert (label == "cu130") == bool(env["CIBW_BEFORE_ALL_LINUX"])


@pytest.fixture(scope="module")
def example1_dist(tmp_path_factory, varwheel_wheelhouse):
    """(b) the job's steps without containers; returns the published folder."""
    if not (sys.platform.startswith("linux") and os.uname().machine == "x86_64"):
        pytest.skip("the example builds manylinux x86_64 wheels")
    root = tmp_path_factory.mktemp("example1")
    project = root / "vwcuda"
    shutil.copytree(EXAMPLE1, project)
    env = tool_env({
        "PIP_FIND_LINKS": " ".join(filter(None, [str(varwheel_wheelhouse), os.environ.get("PIP_FIND_LINKS", "")])),
    })
    env.pop("CIBW_CONFIG_SETTINGS", None)
    dist = root / "dist"
    dist.mkdir()
    built = {}
    for entry in matrix(project):
        if entry["label"] == "cu130" and NVCC is None:
            continue  # its tests skip with the reason
        out = root / "build" / entry["label"]
        run([sys.executable, "-m", "build", "--wheel", "--outdir", out, *entry["build-args"].split(), project], env=env)
        [wheel] = out.glob("*.whl")
        assert re.fullmatch(r"vwcuda-1\.0-cp\d+-cp\d+-linux_x86_64\.whl", wheel.name), wheel.name  # deferred
        with zipfile.ZipFile(wheel) as zf:
            inner = json.loads(zf.read("vwcuda-1.0.dist-info/variant.json"))
        assert list(inner["variants"]) == [entry["label"]]
        # What cibuildwheel runs after the build: its repair command, from its own options.
        repair = cibw_options(project, workflow_env(entry)).build_options(IDENTIFIERS[0]).repair_command
        wheelhouse = root / "wheelhouse" / entry["label"]
        argv = [a.replace("{dest_dir}", str(wheelhouse)).replace("{wheel}", str(wheel)) for a in repair.split()]
        run(argv, env=env)
        run(["sh", project / "ci" / "after-build.sh", wheelhouse], env=env)
        [labelled] = wheelhouse.glob("*.whl")
        assert labelled.name.endswith(f"-{entry['label']}.whl") and "manylinux" in labelled.name
        shutil.copy(labelled, dist)  # upload-artifact / download-artifact merge-multiple
        built[entry["label"]] = labelled.name
    run(["sh", project / "ci" / "publish.sh", dist], env=env)
    return dist, built


@linux_x86
def test_example1_publishes_a_checked_family_with_index_and_plain_wheel(example1_dist, run_varwheel):
    dist, built = example1_dist
    names = sorted(p.name for p in dist.iterdir())
    plain = built["null"].replace("-null.whl", ".whl")
    assert names == sorted([*built.values(), plain, "vwcuda-1.0-variants.json", "index.html"])
    index = json.loads((dist / "vwcuda-1.0-variants.json").read_text())
    assert set(index["variants"]) == set(built)
    assert index["default-priorities"]["namespace"] == ["nvidia", "x86_64"]
    html = (dist / "index.html").read_text()
    assert all(f'href="{n}"' in html for n in names if n != "index.html")
    assert run_varwheel("check", "--strict", dist).returncode == 0


def install_info(uv_bin, tmp_path, find_links, env=None, name="venv"):
    proc, python, chosen = uv_install(uv_bin, tmp_path, find_links, "vwcuda", env=env, name=name)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = run([python, "-c", "import json, vwcuda; print(json.dumps(vwcuda.info()))"], env=clean_env(tmp_path))
    return chosen, json.loads(out.stdout)


@linux_x86
@needs_nvcc
@pytest.mark.parametrize("driver, sm, expected", [
    ("13.0", "9.0", "cu130"),
    ("12.8", "9.0", "x86_64_v3"),   # driver too old for a CUDA 13 build
    ("13.0", "8.0", "x86_64_v3"),   # no sm_90 SASS runs on compute capability 8.0
    (None, None, "x86_64_v3"),      # no GPU at all
])
def test_example1_uv_picks_cuda_or_the_cpu_level(example1_dist, uv_bin, tmp_path, driver, sm, expected):
    if driver is None and Path("/dev/nvidia0").exists():
        pytest.skip("a real NVIDIA GPU is present: uv's nvidia provider reports it instead of nothing")
    if expected == "x86_64_v3" and not cpu_has_avx2():
        expected = "null"
    dist, built = example1_dist
    env = dict(zip(NVIDIA_ENV, (driver, sm))) if driver else None
    chosen, info = install_info(uv_bin, tmp_path, dist, env)
    assert chosen == built[expected]
    assert info["variant"] == expected
    if expected == "cu130":
        assert info["cuda_arch_list"] == "900" and info["cpu"] == "baseline"
    elif expected == "x86_64_v3":
        assert info["cuda_arch_list"] is None and info["cpu"] == "x86-64-v3"


@linux_x86
@needs_nvcc
def test_example1_cuda_variant_holds_sm90_sass_only(example1_dist, tmp_path):
    import site

    dist, built = example1_dist
    with zipfile.ZipFile(dist / built["cu130"]) as zf:
        [module] = [n for n in zf.namelist() if re.fullmatch(r"vwcuda/_core\..*\.so", n)]
        binary = tmp_path / "core.so"
        binary.write_bytes(zf.read(module))
    tools = [p for root in site.getsitepackages() for p in Path(root).glob("nvidia/**/bin/cuobjdump")]
    assert tools, "cuobjdump not found: install the test extra (nvidia-cuda-cuobjdump)"
    elf = run([tools[0], "--list-elf", binary], check=False)
    assert re.findall(r"\.(sm_\d+)\.cubin", elf.stdout) == ["sm_90"], elf.stdout + elf.stderr


@linux_x86
@needs_nvcc
def test_example1_installs_from_a_served_find_links_page(example1_dist, uv_bin, tmp_path):
    """What users of the GitHub Pages site do: --find-links https://.../index.html."""
    dist, built = example1_dist
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(dist)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        chosen, info = install_info(uv_bin, tmp_path, url, dict(zip(NVIDIA_ENV, ("13.0", "9.0"))))
    finally:
        server.shutdown()
    assert chosen == built["cu130"] and info["variant"] == "cu130"


@linux_x86
def test_example1_pip_installs_the_plain_baseline(example1_dist, uv_bin, tmp_path):
    dist, built = example1_dist
    python = new_venv(uv_bin, tmp_path)
    run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-index", "--find-links", dist,
         "vwcuda"], env=clean_env(tmp_path))
    info = json.loads(run([python, "-c", "import json, vwcuda; print(json.dumps(vwcuda.info()))"]).stdout)
    assert info == {"variant": None, "cpu": "baseline", "cuda_arch_list": None}


# == example 2: repackaging per-CUDA wheels =====================================================


def repackage(tmp_path: Path, *flavors: str, plain=("null",), out="dist", check=True):
    args = [sys.executable, EXAMPLE2 / "repackage.py", "--config", EXAMPLE2 / "variants.toml"]
    for flavor in flavors:
        args += ["--flavor", flavor]
    for label in plain:
        args += ["--plain", label]
    return run(args + ["-o", out], cwd=tmp_path, check=check)


@pytest.fixture
def demo_inputs(tmp_path) -> Path:
    run([sys.executable, EXAMPLE2 / "make_demo_inputs.py", "in"], cwd=tmp_path)
    return tmp_path / "in"


FLAVORS = ("cu126=in/cu126", "cu129=in/cu129", "null=in/cpu")
WHEEL = "mypkg-1.0-py3-none-manylinux_2_17_x86_64"


@pytest.fixture
def family(tmp_path, demo_inputs) -> Path:
    proc = repackage(tmp_path, *FLAVORS)
    assert "checked 4 wheel(s): 0 error(s), 0 warning(s)" in proc.stderr
    return tmp_path / "dist"


def test_example2_makes_one_family_an_index_and_a_plain_wheel(family, demo_inputs, tmp_path):
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "in"]  # no staging folder left
    assert sorted(p.name for p in family.iterdir()) == [
        f"{WHEEL}-cu126.whl", f"{WHEEL}-cu129.whl", f"{WHEEL}-null.whl", f"{WHEEL}.whl", "mypkg-1.0-variants.json",
    ]
    index = json.loads((family / "mypkg-1.0-variants.json").read_text())
    assert index["variants"] == {
        "cu126": {"nvidia": {"cuda_version_lower_bound": ["12.6"], "sm_arch": ["80_real", "90_real"]}},
        "cu129": {"nvidia": {"cuda_version_lower_bound": ["12.9"], "sm_arch": ["120_real", "90_real"]}},
        "null": {},
    }
    # Each variant carries its own build; inputs are untouched.
    for label, flavor in (("cu126", "cu126"), ("cu129", "cu129"), ("null", "cpu")):
        with zipfile.ZipFile(family / f"{WHEEL}-{label}.whl") as zf:
            assert zf.read("mypkg/__init__.py").decode() == f"FLAVOR = {flavor!r}\n"
    assert (family / f"{WHEEL}.whl").read_bytes() == (demo_inputs / "cpu" / f"{WHEEL}.whl").read_bytes()


@pytest.mark.parametrize("driver, sm, flavor", [
    ("12.8", "9.0", "cu126"),
    ("12.9", "9.0", "cu129"),
    ("13.0", "12.0", "cu129"),
    ("12.5", "9.0", "cpu"),
    (None, None, "cpu"),
])
def test_example2_uv_picks_by_driver(family, uv_bin, tmp_path, driver, sm, flavor):
    if driver is None and Path("/dev/nvidia0").exists():
        pytest.skip("a real NVIDIA GPU is present: uv's nvidia provider reports it instead of nothing")
    env = dict(zip(NVIDIA_ENV, (driver, sm))) if driver else None
    proc, python, chosen = uv_install(uv_bin, tmp_path, family, "mypkg", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert chosen == f"{WHEEL}-{'null' if flavor == 'cpu' else flavor}.whl"
    assert run([python, "-c", "import mypkg; print(mypkg.FLAVOR)"]).stdout.strip() == flavor


def test_example2_pip_gets_the_plain_cpu_wheel(family, uv_bin, tmp_path):
    python = new_venv(uv_bin, tmp_path)
    run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-index", "--find-links", family,
         "mypkg"], env=clean_env(tmp_path))
    assert run([python, "-c", "import mypkg; print(mypkg.FLAVOR)"]).stdout.strip() == "cpu"


def test_example2_demo_script(tmp_path):
    env = tool_env({"UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_NO_CONFIG": "1"})
    for key in NVIDIA_ENV:
        env.pop(key, None)
    proc = run(["sh", EXAMPLE2 / "demo.sh", tmp_path / "demo"], env=env)
    assert proc.stdout.splitlines()[-3:] == [
        "driver 12.8, compute capability 9.0 -> cu126",
        "driver 12.9, compute capability 9.0 -> cu129",
        "driver 12.5, compute capability 9.0 -> cpu",
    ]


def mutate_version(folder: Path, version: str) -> None:
    from fixtures.wheel_factory import make_wheel

    for wheel in folder.glob("*.whl"):
        wheel.unlink()
    make_wheel(folder, "mypkg", version, tag="py3-none-manylinux_2_17_x86_64")


@pytest.mark.parametrize("setup, message", [
    (lambda d: mutate_version(d / "cu129", "1.1"), "flavors hold different releases"),
    (lambda d: mutate_version(d / "cu129", "1.0+cu129"), "local segment"),
    (lambda d: (d / "cu129" / f"{WHEEL}.whl").write_bytes(b"broken"), "`varwheel make-variant` failed"),
])
def test_example2_bad_input_leaves_nothing_behind(tmp_path, demo_inputs, setup, message):
    setup(demo_inputs)
    proc = repackage(tmp_path, *FLAVORS, check=False)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_example2_refuses_a_non_empty_output_and_unknown_labels(tmp_path, demo_inputs):
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "keep.txt").write_text("mine")
    proc = repackage(tmp_path, *FLAVORS, check=False)
    assert proc.returncode == 2 and "not empty" in proc.stderr
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == ["keep.txt"]
    proc = repackage(tmp_path, "cu118=in/cu126", plain=(), out="dist2", check=False)
    assert proc.returncode == 2 and "cu118" in proc.stderr
    assert not (tmp_path / "dist2").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".dist2")]
