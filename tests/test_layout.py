"""The package's wings import only what the architecture allows (CONTRIBUTING.md, "Layout").

``model/`` stands on nothing but ``errors``; ``wheel/`` on ``model/``; the three
products (``build/``, ``pipeline/``, ``machine/``) each on ``model/`` and
``wheel/`` and never on each other; ``cli/`` presents everything.  Every
import counts, the lazy ones inside functions included: they are how a
wing would quietly start to depend on another.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, Set, Tuple

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "backend" / "varwheel"

#: wing -> the wings it may import (besides itself).
ALLOWED: Dict[str, Set[str]] = {
    "errors": set(),
    "model": {"errors"},
    "wheel": {"errors", "model"},
    "build": {"errors", "model", "wheel"},
    "pipeline": {"errors", "model", "wheel"},
    "machine": {"errors", "model", "wheel"},
    "cli": {"errors", "model", "wheel", "build", "pipeline", "machine", "__init__"},
    "__main__": {"cli"},
    "__init__": set(),
}


def wing_of(module: str) -> str:
    """``varwheel.model.request`` -> ``model``; ``varwheel`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> Iterator[Tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "varwheel":
                for alias in node.names:
                    sub = (PACKAGE / alias.name).is_dir() or (PACKAGE / f"{alias.name}.py").is_file()
                    yield node.lineno, f"varwheel.{alias.name}" if sub else "varwheel"
            elif node.module.startswith("varwheel."):
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("varwheel."):
                    yield node.lineno, alias.name


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        yield name, path


def test_every_module_belongs_to_a_known_wing():
    unknown = [name for name, _ in modules() if wing_of(name) not in ALLOWED]
    assert unknown == [], f"add these to a wing (or ALLOWED): {unknown}"


@pytest.mark.parametrize("name,path", list(modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_imports_follow_the_wings(name, path):
    wing = wing_of(name)
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for line, target in imports(path)
        if wing_of(target) != wing and wing_of(target) not in ALLOWED[wing]
    ]
    assert wrong == [], "\n".join(wrong)


def test_the_checks_can_fail():
    """The rule is not vacuous: a product importing another product is refused."""
    assert "machine" not in ALLOWED["pipeline"] and "build" not in ALLOWED["machine"]
    assert wing_of("varwheel.build.flags") == "build" and wing_of("varwheel.errors") == "errors"
