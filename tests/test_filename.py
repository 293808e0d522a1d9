"""The variant wheel filename grammar (spec section 3)."""

from __future__ import annotations

import pytest
from packaging.utils import parse_wheel_filename

from tests.helpers_core import vectors
from varwheel.errors import InvalidFilename, InvalidLabel
from varwheel.model.filename import WheelFilename, dist_info_name, normalize_dist_name

FILENAME_VECTORS = vectors()["filenames"]
VALID = [c for c in FILENAME_VECTORS if "error" not in c]
INVALID = [c for c in FILENAME_VECTORS if "error" in c]


@pytest.mark.parametrize("case", VALID, ids=[c["filename"] for c in VALID])
def test_valid_filename_vectors(case):
    parsed = WheelFilename.parse(case["filename"])
    assert parsed.label == case["label"]
    assert parsed.build == case["build"]
    assert str(parsed) == case["filename"]
    assert parsed.filename == case["filename"]


@pytest.mark.parametrize("case", INVALID, ids=[c["filename"] for c in INVALID])
def test_invalid_filename_vectors(case):
    with pytest.raises(InvalidFilename) as info:
        WheelFilename.parse(case["filename"])
    message = str(info.value)
    assert case["filename"] in message
    # The vector's reason ("label has uppercase", "too many components", ...)
    # is what the message says, word for word apart from the component's value.
    reason = case["error"]
    if reason == "label has uppercase":
        assert "label 'CU128' has uppercase" in message
        assert "did you mean 'cu128'?" in message
    else:
        assert reason in message


def test_components_of_a_full_name():
    f = WheelFilename.parse("numpy-2.3.2-1-cp313-cp313t-musllinux_1_2_x86_64-x86_64_v3.whl")
    assert (f.name, f.version, f.build, f.python, f.abi, f.platform, f.label) == (
        "numpy", "2.3.2", "1", "cp313", "cp313t", "musllinux_1_2_x86_64", "x86_64_v3",
    )


def test_labels_with_dots_strip_only_the_suffix():
    f = WheelFilename.parse("torch-2.8.0-cp313-cp313-linux_x86_64-cuda12.8.whl")
    assert f.label == "cuda12.8"
    assert f.platform == "linux_x86_64"
    f = WheelFilename.parse("pkg-1.0-py3-none-any-a.whl.whl")
    assert f.label == "a.whl"


def test_six_parts_build_tag_or_label_decided_by_first_character():
    assert WheelFilename.parse("pkg-1.0-2-py3-none-any.whl").build == "2"
    assert WheelFilename.parse("pkg-1.0-2-py3-none-any.whl").label is None
    f = WheelFilename.parse("pkg-1.0-py3-none-any-2.whl")
    assert (f.build, f.label) == (None, "2")
    f = WheelFilename.parse("pkg-1.0-2b-py3-none-any-x.whl")
    assert (f.build, f.label) == ("2b", "x")


@pytest.mark.parametrize(
    "filename, fragment",
    [
        ("pkg-1.0-py3-none-any.zip", "must end with '.whl'"),
        ("dist/pkg-1.0-py3-none-any.whl", "is a path"),
        ("pkg-1.0-b1-py3-none-any-x.whl", "'b1' is not a build tag"),
        ("pkg-1.0-py3-none-any-a+b.whl", "label 'a+b' is invalid"),
        ("pkg-1.0-py3-none-any-.whl", "label is empty"),
        ("p kg-1.0-py3-none-any.whl", "name 'p kg' is invalid"),
        ("pkg_-1.0-py3-none-any.whl", "name 'pkg_' is invalid"),
        ("pkg-1 0-py3-none-any.whl", "version '1 0' is invalid"),
        ("pkg--py3-none-any.whl", "version '' is invalid"),
        ("pkg-1.0-1-3py-none-any.whl", "python tag '3py' starts with a digit"),
        ("pkg-1.0-py3-no ne-any.whl", "abi tag 'no ne' is invalid"),
        ("pkg-1.0-py3-none-an$y.whl", "platform tag 'an$y' is invalid"),
        ("pkg-1.0-py3-none-any\n.whl", "platform tag 'any\\n' is invalid"),
        ("pkg-1.0-py3-none-any-x\n.whl", "label 'x\\n' is invalid"),
        (".whl", "too few components (1)"),
    ],
)
def test_invalid_names_say_which_component(filename, fragment):
    with pytest.raises(InvalidFilename) as info:
        WheelFilename.parse(filename)
    assert fragment in str(info.value)


def test_with_label_replaces_adds_and_removes():
    plain = WheelFilename.parse("numpy-2.3.2-1-cp313-cp313-linux_x86_64.whl")
    labelled = plain.with_label("v3")
    assert str(labelled) == "numpy-2.3.2-1-cp313-cp313-linux_x86_64-v3.whl"
    assert str(labelled.with_label("null")) == "numpy-2.3.2-1-cp313-cp313-linux_x86_64-null.whl"
    assert labelled.with_label(None) == plain
    with pytest.raises(InvalidLabel):
        plain.with_label("V3")


def test_dist_info_never_carries_the_label():
    f = WheelFilename.parse("My_Pkg-1.0-py3-none-any-cu128.whl")
    assert f.dist_info == "My_Pkg-1.0.dist-info"
    assert dist_info_name("a", "2") == "a-2.dist-info"
    assert f.project == "my_pkg"
    assert normalize_dist_name("Foo.Bar--baz") == "foo_bar_baz"


def test_compressed_tag_sets_expand():
    f = WheelFilename.parse("pkg-1.0-py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64-v3.whl")
    assert f.tags() == [
        ("py2", "none", "manylinux_2_17_x86_64"),
        ("py2", "none", "manylinux2014_x86_64"),
        ("py3", "none", "manylinux_2_17_x86_64"),
        ("py3", "none", "manylinux2014_x86_64"),
    ]


@pytest.mark.parametrize(
    "filename",
    [
        "numpy-2.3.2-cp313-cp313t-musllinux_1_2_x86_64.whl",
        "numpy-2.3.2-1-cp313-cp313t-musllinux_1_2_x86_64.whl",
        "foo_bar-1.0.post1-42abc-py2.py3-none-any.whl",
        "Pillow-10.0.0-cp39-cp39-macosx_10_10_x86_64.whl",
        "pkg-1!2.0+local.1-py3-none-any.whl",
    ],
)
def test_plain_names_agree_with_packaging(filename):
    # packaging is the reference for plain wheels; it rejects labelled names on purpose.
    name, version, build, tags = parse_wheel_filename(filename)
    ours = WheelFilename.parse(filename)
    assert normalize_dist_name(ours.name) == normalize_dist_name(name)
    assert str(version) == str(type(version)(ours.version))
    if build:
        assert ours.build is not None and ours.build.startswith(str(build[0]))
    else:
        assert ours.build is None
    assert {(t.interpreter, t.abi, t.platform) for t in tags} == {
        (a.lower(), b.lower(), c.lower()) for a, b, c in ours.tags()
    }


def test_packaging_rejects_what_we_label():
    # The reason variant wheels stay invisible to today's installers.
    from packaging.utils import InvalidWheelFilename

    with pytest.raises(InvalidWheelFilename):
        parse_wheel_filename("pkg-1.0-py3-none-any-v3.whl")
    assert WheelFilename.parse("pkg-1.0-py3-none-any-v3.whl").label == "v3"


@pytest.mark.parametrize("name", ["Foo.Bar", "foo__bar", "A-B_C.d", "zope.interface", "Pillow", "a--b..c__d", "x"])
def test_normalize_dist_name_agrees_with_packaging(name):
    from packaging.utils import canonicalize_name

    from varwheel.model.filename import normalize_dist_name

    assert normalize_dist_name(name) == canonicalize_name(name).replace("-", "_")


def test_version_key_compares_as_pep_440():
    from varwheel.model.filename import version_key

    assert version_key("1.0") == version_key("1.0.0")
    assert version_key("1.0+cu126") == version_key("1.0+cu126")  # "+" survives in filenames
    assert version_key("1.0_post1") == version_key("1.0.post1")  # "-" is written "_" in filenames
    assert version_key("1.0") != version_key("1.0.post1")
    assert version_key("not a version") == "not a version"


@pytest.mark.parametrize("a,b", [("1.0", "1.0"), ("1.0", "1.0.0"), ("1.0_post1", "1.0-post1"), ("1.0_post1", "1.0.post1"),
                                 ("1.0", "1.0.post1"), ("1!1.0", "1.0"), ("abc", "abc"), ("abc", "1.0"), ("1.0+a_b", "1.0+a.b")])
def test_same_version_is_version_key_equality(a, b):
    from varwheel.model.filename import same_version, version_key

    assert same_version(a, b) is (version_key(a) == version_key(b))
