"""Differential tests against variantlib 0.2.2, the reference implementation.

* hash labels and canonical order for several hundred generated property sets;
* accept/reject agreement on generated property strings and labels;
* variantlib reads the variant.json and wheels varwheel writes (providers
  format), ``variantlib analyze-wheel`` included;
* varwheel reads (and re-variants) wheels ``variantlib make-variant`` wrote,
  and writes the same document for the same request.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers_core import PYPROJECT_SPEC_EXAMPLE, sha256_file
from varwheel.errors import InvalidInput
from varwheel.wheel.make import make_variant
from varwheel.model.document import SCHEMA_PROVIDERS, SCHEMA_VARIANTLIB, VariantDocument
from varwheel.model.properties import Property, VariantDescription, validate_label
from varwheel.model.pyproject import load_variant_project
from varwheel.model.request import resolve_variant
from varwheel.wheel.archive import WheelArchive

variantlib = pytest.importorskip("variantlib", reason="variantlib 0.2.2 is part of the test extra")
from variantlib.constants import VALIDATION_VARIANT_LABEL_REGEX  # noqa: E402
from variantlib.errors import ValidationError  # noqa: E402
from variantlib.models.variant import VariantDescription as VLDescription  # noqa: E402
from variantlib.models.variant import VariantProperty as VLProperty  # noqa: E402
from variantlib.variant_dist_info import VariantDistInfo  # noqa: E402

NAMESPACES = ["a", "a_b", "ab", "x86_64", "nvidia", "aarch64", "blas_lapack", "0", "_", "z9"]
FEATURES = ["level", "sm_arch", "cuda_version_lower_bound", "b", "b_", "version", "x", "aes", "avx512_bf16"]
VALUES = ["v1", "v2", "v3", "v4", "90_real", "100_real", "120_virtual", "12.8", "12", "8.2a", "on", ".", "a.b", "c", "cx", "0"]
SEPARATORS = [" :: ", "::", " ::", ":: ", "  ::\t", "\t::  "]


def generated_sets(count: int, seed: int):
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        size = rng.randint(1, 7)
        props = set()
        while len(props) < size:
            props.add((rng.choice(NAMESPACES), rng.choice(FEATURES), rng.choice(VALUES)))
        texts = []
        for ns, feat, val in props:
            a, b = rng.choice(SEPARATORS), rng.choice(SEPARATORS)
            pad = rng.choice(["", " ", "  "])
            texts.append(f"{pad}{ns}{a}{feat}{b}{val}{pad}")
        rng.shuffle(texts)
        out.append(texts)
    return out


SETS = generated_sets(400, seed=825)


def variantlib_label(texts):
    return VLDescription([VLProperty.from_str(t) for t in texts]).hexdigest


def test_generated_sets_are_varied():
    sizes = {len(s) for s in SETS}
    assert sizes == set(range(1, 8))
    assert len({tuple(sorted(s)) for s in SETS}) == len(SETS)


@pytest.mark.parametrize("chunk", range(4))
def test_hash_labels_and_order_agree_with_variantlib(chunk):
    for texts in SETS[chunk * 100 : (chunk + 1) * 100]:
        ours = VariantDescription.parse(texts)
        theirs = VLDescription([VLProperty.from_str(t) for t in texts])
        assert ours.hash_label() == theirs.hexdigest, texts
        assert ours.strings() == [p.to_str() for p in theirs.properties], texts
        assert ours.to_mapping() == theirs.to_dict(), texts


def test_vector_labels_agree_with_variantlib():
    from tests.helpers_core import vectors

    for case in vectors()["hash_labels"]:
        assert variantlib_label(case["properties"]) == case["label"]


def _random_strings(seed: int, count: int):
    rng = random.Random(seed)
    alphabet = list("abcxyz019_.:- \tAZ") + ["\u00e9", "\n", "::", " :: ", "\u0663"]
    out = set()
    while len(out) < count:
        out.add("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16))))
    # and some near-misses built from valid parts
    for texts in SETS[:50]:
        for t in texts:
            out.add(t)
            out.add(t.replace("_", "-", 1))
            out.add(t.upper())
            out.add(t + " ::")
            out.add(t.replace("::", ":", 1))
    return sorted(out)


def test_property_acceptance_agrees_with_variantlib():
    candidates = _random_strings(850, 3000)
    accepted = 0
    for text in candidates:
        try:
            ours = str(Property.parse(text))
        except InvalidInput:
            ours = None
        try:
            theirs = VLProperty.from_str(text).to_str()
        except (ValidationError, ValueError):
            theirs = None
        assert ours == theirs, repr(text)
        accepted += ours is not None
    assert accepted > 100  # the generator produced plenty of both kinds
    assert len(candidates) - accepted > 1000


def test_label_acceptance_agrees_with_variantlib():
    rng = random.Random(17)
    alphabet = list("az09_.-A Z") + ["\u00e9", "\n", "/"]
    labels = {"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(3000)}
    for label in labels:
        try:
            validate_label(label)
            ours = True
        except InvalidInput:
            ours = False
        theirs = bool(VALIDATION_VARIANT_LABEL_REGEX.fullmatch(label))
        assert ours == theirs, repr(label)


# -- documents both ways -------------------------------------------------------------------


def _requests(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(PYPROJECT_SPEC_EXAMPLE.replace('namespace = ["nvidia", "x86_64"]', 'namespace = ["nvidia", "x86_64", "blas_lapack"]'))
    project = load_variant_project(pyproject)
    return [
        resolve_variant(["x86_64 :: level :: v3"]),
        resolve_variant(["aarch64 :: version :: 8.2a"], label="armv82"),
        resolve_variant(["nvidia :: sm_arch :: 90_real", "nvidia :: sm_arch :: 120_real", "nvidia :: cuda_version_lower_bound :: 12.8"]),
        resolve_variant(["x86_64 :: level :: v4", "blas_lapack :: library :: mkl"], label="v4mkl", project=project),
        resolve_variant(label="cu129", project=project),
        resolve_variant(null=True, project=project),
    ]


def test_variantlib_reads_the_documents_we_write(tmp_path):
    for req in _requests(tmp_path):
        info = VariantDistInfo(req.variant_json, req.label)
        assert info.variant_label == req.label
        assert [p.to_str() for p in info.variant_desc.properties] == req.description.strings()
        assert info.namespace_priorities == req.document.default_priorities
        assert info.providers_dict() == {ns: p.to_json() for ns, p in req.document.providers.items()}
        if not req.description.is_null:
            assert info.variant_desc.hexdigest == req.description.hash_label()


def test_variantlib_rejects_the_pep825_format_as_documented():
    # Why 'providers' is the default: variantlib 0.2.2 needs the providers table.
    req = resolve_variant(["x86_64 :: level :: v3"], metadata_format="pep825")
    with pytest.raises(ValidationError):
        VariantDistInfo(req.variant_json, req.label)


def _variantlib_cli():
    exe = Path(sys.executable).parent / "variantlib"
    return str(exe) if exe.exists() else shutil.which("variantlib")


def test_analyze_wheel_accepts_the_wheels_we_write(wheel_factory, tmp_path):
    exe = _variantlib_cli()
    assert exe, "variantlib's command is missing although the package imports"
    src = wheel_factory(files={"demo/__init__.py": "X = 1\n", "demo/a,b.txt": "comma"})
    for req in _requests(tmp_path):
        out = make_variant(src, tmp_path / "out", req)
        proc = subprocess.run([exe, "analyze-wheel", "-i", str(out)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert f"Variant: `{req.label}`" in proc.stdout
        listed = [line for line in proc.stdout.splitlines() if " :: " in line]
        assert listed == req.description.strings()
        assert "is a Wheel Variant" in proc.stderr


def _variantlib_make(exe, src, outdir, args, pyproject):
    outdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [exe, "make-variant", "-f", str(src), "-o", str(outdir), "--pyproject-toml", str(pyproject),
         "--skip-plugin-validation", *args],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    (made,) = outdir.iterdir()
    return made


@pytest.mark.parametrize(
    "props, label",
    [
        (["x86_64 :: level :: v3", "blas_lapack :: library :: mkl"], None),
        (["x86_64 :: level :: v4"], "v4"),
        ([], "null"),
    ],
)
def test_same_request_same_document_as_variantlib(wheel_factory, tmp_path, props, label):
    exe = _variantlib_cli()
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[variant.default-priorities]\nnamespace = ["x86_64", "blas_lapack"]\n\n'
        '[variant.providers.x86_64]\nrequires = ["x86-64-variant-provider"]\n\n'
        '[variant.providers.blas_lapack]\nstatic-properties.library = ["mkl", "openblas"]\n'
    )
    src = wheel_factory()
    before = sha256_file(src)
    args = [x for p in props for x in ("-p", p)] if props else ["--null-variant"]
    if label and props:
        args += ["--variant-label", label]
    theirs = _variantlib_make(exe, src, tmp_path / "vl", args, pyproject)
    assert sha256_file(src) == before
    # varwheel reads variantlib's wheel: structure, RECORD, variant.json (v0.2.0 schema).
    with WheelArchive(theirs) as archive:
        assert archive.record_problems() == []
        got_label, doc = archive.variant()
        assert doc.schema == SCHEMA_VARIANTLIB
    project = load_variant_project(pyproject)
    req = resolve_variant(props, label=label if props else None, null=not props, project=project)
    assert got_label == req.label
    assert theirs.name == f"demo-1.0-py3-none-any-{req.label}.whl"
    # Same content: only the schema URL and our trailing newline differ.
    with zipfile.ZipFile(theirs) as zf:
        their_json = zf.read("demo-1.0.dist-info/variant.json").decode()
    assert req.variant_json.decode() == their_json.replace(SCHEMA_VARIANTLIB, SCHEMA_PROVIDERS) + "\n"
    # And varwheel re-variants variantlib's wheel; variantlib accepts the result.
    again = make_variant(theirs, tmp_path / "re", resolve_variant(["x86_64 :: level :: v2"], project=project))
    proc = subprocess.run([exe, "analyze-wheel", "-i", str(again)], capture_output=True, text=True)
    assert proc.returncode == 0 and "x86_64 :: level :: v2" in proc.stdout, proc.stderr
    with WheelArchive(again) as archive:
        assert archive.record_problems() == []
        assert json.loads(archive.read(archive.variant_json_name))["variants"] == {"40aba78e": {"x86_64": {"level": ["v2"]}}}


def test_variantlib_documents_load_as_documents():
    doc = VariantDocument.loads(
        VariantDistInfo(resolve_variant(["x86_64 :: level :: v3"]).variant_json).to_str()
    )
    assert doc.schema == SCHEMA_VARIANTLIB
    assert doc.variants == {"fa7c1393": VariantDescription.parse(["x86_64 :: level :: v3"])}
