"""uv 0.13.9's own variant scenarios (tests/data/uv_scenarios.json): folders, uv runs, varwheel's answer.

The data restates the scenarios of uv's own tests (see the file's ``about``
and ``format``); this module turns one entry into what both tools see:

* :func:`build_folder`: the find-links folder of an install/rank/parse
  entry: wheels written by :func:`fixtures.wheel_factory.make_wheel` with the
  entry's ``variant.json`` bytes (or none, or raw bytes), index files.
* :func:`run_uv`: ``uv pip install`` into a fresh ``--target`` folder (a real
  install, so that what uv refuses only at install time shows), parsed into
  an :class:`UvOutcome`.
* :func:`uv_problems`: how an outcome differs from an entry's ``expect``.
* :func:`varwheel_pick`: the file :func:`varwheel.machine.select.select`
  names for the same folder and machine (``require_index=True``: uv ignores
  variant wheels without an index file).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from fixtures.wheel_factory import make_wheel

DATA = Path(__file__).resolve().parent / "data" / "uv_scenarios.json"
#: The parse entries' document goes beside a plain wheel of this release, as its index file.
PARSE_WHEEL = "ok-1.0.0-py3-none-any.whl"
PARSE_INDEX = "ok-1.0.0-variants.json"
#: Variables through which uv's built-in providers (and varwheel's) take forced machine facts.
_FORCE_PREFIXES = ("NV_VARIANT_PROVIDER_FORCE_", "TPU_VARIANT_PROVIDER_FORCE_")
_SELECT_RE = re.compile(r"Selecting: (\S+)==\S+ \[compatible\] \((\S+?)\)")


def load_scenarios() -> List[Dict[str, Any]]:
    """Every entry of the data file, in file order."""
    return list(json.loads(DATA.read_text(encoding="utf-8"))["scenarios"])


def scenario_env(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """This process's environment without uv settings or forced provider values, plus ``extra``.

    Removing them keeps a developer's ``UV_*`` configuration or a forced GPU
    out of scenarios that state their own machine.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_") and not k.startswith(_FORCE_PREFIXES)}
    env.update(extra or {})
    return env


def _wheel_parts(spec: Mapping[str, Any]) -> Dict[str, Optional[str]]:
    """Name, version, build, tag and label of a wheel entry, from its exact file name."""
    stem = spec["file"][: -len(".whl")]
    parts = stem.split("-")
    build = spec.get("build")
    rest = parts[2:]
    if build is not None:
        assert rest[0] == build, f"{spec['file']}: build tag {build!r} is not in the file name"
        rest = rest[1:]
    tag = spec.get("tag", "py3-none-any")
    assert "-".join(rest[:3]) == tag, f"{spec['file']}: tag {tag!r} is not in the file name"
    label = rest[3] if len(rest) > 3 else None
    return {"name": parts[0], "version": parts[1], "build": build, "tag": tag, "label": label}


def write_wheel(spec: Mapping[str, Any], directory: Path) -> Path:
    """Write one wheel entry into ``directory`` under its exact file name."""
    target = directory / spec["file"]
    if "raw" in spec:
        target.write_text(spec["raw"], encoding="utf-8")
        return target
    parts = _wheel_parts(spec)
    name, version = parts["name"], parts["version"]
    assert name is not None and version is not None
    files: Dict[str, str] = {f"{name}/__init__.py": f"__version__ = {version!r}\n"}
    files.update(spec.get("files", {}))
    extra: Dict[str, str] = {}
    variant = spec.get("variant_json", "missing" if parts["label"] else None)
    if variant not in (None, "missing"):
        text = variant["raw"] if isinstance(variant, dict) and set(variant) == {"raw"} else json.dumps(variant)
        if "variant_json_dist_info" in spec:
            files[f"{spec['variant_json_dist_info']}/variant.json"] = text
        else:
            extra["variant.json"] = text
    out = make_wheel(directory, name, version, files, tag=str(parts["tag"]), build=parts["build"],
                     label=parts["label"], extra_dist_info=extra)
    assert out.name == spec["file"], f"wheel factory wrote {out.name}, the entry names {spec['file']}"
    return out


def build_folder(scenario: Mapping[str, Any], directory: Path) -> Path:
    """The find-links folder of an entry (a parse entry: a plain wheel and its document as the index)."""
    directory.mkdir(parents=True, exist_ok=True)
    if scenario.get("kind") == "parse":
        write_wheel({"file": PARSE_WHEEL}, directory)
        (directory / PARSE_INDEX).write_text(json.dumps(scenario["document"]), encoding="utf-8")
        return directory
    for spec in scenario.get("wheels", []):
        write_wheel(spec, directory)
    for index in scenario.get("index", []):
        text = index["raw"] if "raw" in index else json.dumps(index["content"])
        (directory / index["file"]).write_text(text, encoding="utf-8")
    return directory


@dataclass
class UvOutcome:
    """What one ``uv pip install`` did."""

    returncode: int
    #: The file uv selected last for the package (``Selecting: ...`` in the ``-v`` log), if any.
    selected: Optional[str]
    #: ``None`` (installed), ``"no-solution"`` (resolution failed) or ``"install-fails"`` (resolved, then refused).
    error: Optional[str]
    log: str
    target: Path

    def summary(self) -> str:
        """The lines of the log that explain the outcome."""
        keep = ("Selecting", "Skipping", "error", "cause", "hint", "Failed", "WARN", "Unknown", "  ")
        lines = [line for line in self.log.splitlines() if line.startswith(keep) or "variant" in line.lower()]
        return "\n".join(lines[-40:])

    def installed_variant(self) -> Optional[Dict[str, Any]]:
        """``variants`` of the installed ``variant.json`` (None when there is none)."""
        found = sorted(self.target.glob("*.dist-info/variant.json"))
        return json.loads(found[0].read_text(encoding="utf-8"))["variants"] if found else None


def run_uv(uv: str, python: str, folder: Path, scenario: Mapping[str, Any], *, cache: Path, target: Path,
           requirement: Optional[str] = None) -> UvOutcome:
    """Install the entry's requirement with uv from ``folder`` into ``target`` (a new folder)."""
    cmd = [uv, "pip", "install"]
    if scenario.get("preview", True):
        cmd += ["--preview-features", "wheel-variants"]
    cmd += ["--python", python, "--no-index", "--find-links", str(folder), requirement or scenario["requirement"],
            "-v", "--cache-dir", str(cache), "--offline", "--no-config", "--target", str(target),
            *scenario.get("uv_args", [])]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=scenario_env(scenario.get("env")), timeout=300)
    log = proc.stderr + proc.stdout
    picks = [file for _, file in _SELECT_RE.findall(log)]
    selected = picks[-1] if picks else None
    if proc.returncode == 0:
        error = None
    elif "No solution found" in log:
        error = "no-solution"
    elif selected is not None:
        error = "install-fails"
    else:
        raise AssertionError(f"uv failed before resolving anything:\n{log}")
    return UvOutcome(proc.returncode, selected, error, log, target)


def _one_line(text: str) -> str:
    """uv wraps long messages over several indented lines; fragments are matched on one line."""
    return re.sub(r"\s*\n\s*", " ", text)


def uv_problems(outcome: UvOutcome, expect: Mapping[str, Any]) -> List[str]:
    """How ``outcome`` differs from ``expect`` (empty: uv did what the entry says)."""
    problems: List[str] = []
    if "file" in expect:
        if outcome.error is not None:
            problems.append(f"expected {expect['file']} installed, uv: {outcome.error}")
        elif outcome.selected != expect["file"]:
            problems.append(f"expected {expect['file']}, uv installed {outcome.selected}")
        if "installed_variants" in expect and outcome.installed_variant() != expect["installed_variants"]:
            problems.append(f"installed variant.json has variants {outcome.installed_variant()!r}, "
                            f"expected {expect['installed_variants']!r}")
        for member, content in expect.get("installed_files", {}).items():
            path = outcome.target / member
            got = path.read_text(encoding="utf-8") if path.is_file() else None
            if got != content:
                problems.append(f"installed {member} holds {got!r}, expected {content!r}")
    else:
        if outcome.error != expect["error"]:
            problems.append(f"expected {expect['error']}, uv: {outcome.error or 'installed ' + str(outcome.selected)}")
        flat = _one_line(outcome.log)
        for fragment in expect.get("message", []):
            if _one_line(fragment) not in flat:
                problems.append(f"uv's output lacks {fragment!r}")
    return problems


def varwheel_pick(scenario: Mapping[str, Any], folder: Path, requirement: Optional[str] = None) -> Optional[str]:
    """The file varwheel's select names for the entry (None: nothing), with uv's index rule."""
    from varwheel.machine.select import select

    options = dict(scenario.get("select", {}))
    sel = select(requirement or scenario["requirement"], [folder], env=scenario_env(scenario.get("env")),
                 require_index=True, **options)
    return sel.chosen.name if sel.chosen else None


def varwheel_order(scenario: Mapping[str, Any], folder: Path) -> Sequence[str]:
    """Labels of the compatible wheels of the chosen release, in varwheel's order."""
    from varwheel.machine.select import select

    sel = select(scenario["requirement"], [folder], env=scenario_env(scenario.get("env")), require_index=True,
                 **dict(scenario.get("select", {})))
    release = sel.chosen_release
    return [c.label or "" for c in release.ranked] if release else []
