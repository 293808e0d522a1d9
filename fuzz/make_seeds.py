"""Write the seed corpus of fuzz/fuzz_readers.py into fuzz/corpus/<target>/ (run from the repository root).

Seeds are small real inputs: the hostile corpus's wheels and index files
under 64 KiB (tests/hostile_corpus.py: each lies about one thing, so the
fuzzer starts next to every check), their RECORD and variant.json members,
and a few pyproject.toml files.  The files are committed; rerun this after
adding cases to the hostile corpus::

    python fuzz/make_seeds.py
"""

from __future__ import annotations

import hashlib
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "backend")]

from tests.hostile_corpus import CASES, build_case  # noqa: E402

LIMIT = 64 << 10
CORPUS = ROOT / "fuzz" / "corpus"

TOML_SEEDS = [
    (ROOT / "fixtures" / "projects" / "recorder" / "pyproject.toml").read_bytes(),
    b'[variant.default-priorities]\nnamespace = ["x86_64"]\n\n[variant.variants.v3]\nx86_64.level = ["v3"]\n',
    b'[tool.varwheel]\nbackend = "setuptools.build_meta"\nbackend-path = ["_b"]\n'
    b'[tool.varwheel.mapping."blas :: lib"]\nenv = { BLAS = "{value}" }\n',
    b"a = " + b"[" * 40 + b"]" * 40 + b"\n",
]


def _add(target: str, data: bytes) -> None:
    if len(data) > LIMIT:
        return
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def main() -> int:
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    with tempfile.TemporaryDirectory() as scratch:
        for case in CASES:
            if case.kind == "folder" or case.id in ("many-members", "members-200k", "name-65535-bytes"):
                continue
            path = build_case(case, Path(scratch) / case.id)
            for item in ([path] if case.kind == "wheel" else sorted(path.parent.iterdir())):
                mode = item.lstat().st_mode
                if not stat.S_ISREG(mode):
                    continue
                data = item.read_bytes()
                if len(data) > LIMIT:  # the bombs, the 17 MiB index: a seed should run in microseconds
                    continue
                if item.name.endswith(".whl"):
                    _add("zip", data)
                    try:
                        with zipfile.ZipFile(item) as zf:
                            for name in zf.namelist():
                                if name.endswith("/RECORD"):
                                    _add("record", zf.read(name)[:LIMIT])
                                elif name.endswith("/variant.json"):
                                    _add("json", zf.read(name)[:LIMIT])
                    except Exception:  # a lie zipfile sees through: the wheel itself is seed enough
                        pass
                elif item.name.endswith(".json"):
                    _add("json", data)
    for data in TOML_SEEDS:
        _add("toml", data)
    for target in sorted(p.name for p in CORPUS.iterdir()):
        files = list((CORPUS / target).iterdir())
        print(f"{target}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
