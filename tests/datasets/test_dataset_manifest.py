"""Manifests (reference §8): canonical bytes, rev = their sha256, paths that stay inside."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aihub.datasets.manifest import (
    ManifestFile,
    Part,
    PathError,
    build_manifest,
    canonical_json,
    check_media_type,
    check_paths,
    content_digest,
    guess_media_type,
    normalize_path,
)

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

names = st.text(alphabet="abcz09_-.가나", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..") and s.strip() == s)
entries = st.builds(
    ManifestFile,
    path=st.lists(names, min_size=1, max_size=3).map("/".join),
    size=st.integers(0, 10**12),
    sha256=st.binary(min_size=1, max_size=8).map(lambda b: hashlib.sha256(b).hexdigest()),
    media_type=st.sampled_from(["text/csv", "application/json"]),
)
file_lists = st.lists(entries, min_size=1, max_size=8, unique_by=lambda f: f.path)


def test_the_reference_example_serializes_canonically() -> None:
    files = [ManifestFile("data/2024-05.csv", 1048576, SHA, "text/csv")]
    text, rev = build_manifest("busan-air-quality", "1.2.0", files)
    assert text == ('{"dataset":"busan-air-quality","files":[{"media_type":"text/csv",'
                    '"path":"data/2024-05.csv","sha256":"' + SHA + '","size":1048576}],'
                    '"version":"1.2.0"}')
    assert rev == hashlib.sha256(text.encode()).hexdigest()


def test_korean_is_kept_as_utf8_and_metadata_is_hashed() -> None:
    files = [ManifestFile("자료/측정.csv", 3, SHA, "text/csv")]
    text, _ = build_manifest("air", "1.0.0", files, {"title_ko": "대기질"})
    assert "자료/측정.csv" in text and "\\u" not in text
    expected = hashlib.sha256(canonical_json({"title_ko": "대기질"}).encode()).hexdigest()
    assert json.loads(text)["metadata_sha256"] == expected


def test_parts_are_listed_in_index_order_and_omitted_for_one_part() -> None:
    parts = (Part(1, 5, SHA), Part(0, 10, SHA))
    many = json.loads(build_manifest("d", "1", [ManifestFile("a.zip", 15, SHA, "x/y", parts)])[0])
    assert [p["index"] for p in many["files"][0]["parts"]] == [0, 1]
    one = json.loads(build_manifest("d", "1", [ManifestFile("a", 1, SHA, "x/y", parts[:1])])[0])
    assert "parts" not in one["files"][0]


@given(file_lists, st.randoms())
def test_rev_does_not_depend_on_the_order_of_files(files: list[ManifestFile], rnd: object
                                                   ) -> None:
    shuffled = list(files)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert build_manifest("d", "1.0.0", files) == build_manifest("d", "1.0.0", shuffled)


@given(file_lists, st.data())
def test_any_change_to_a_file_changes_rev(files: list[ManifestFile], data: st.DataObject
                                          ) -> None:
    index = data.draw(st.integers(0, len(files) - 1))
    item = files[index]
    field = data.draw(st.sampled_from(["size", "sha256", "media_type", "path"]))
    changed = {
        "size": lambda: ManifestFile(item.path, item.size + 1, item.sha256, item.media_type),
        "sha256": lambda: ManifestFile(item.path, item.size,
                                       hashlib.sha256(item.sha256.encode()).hexdigest(),
                                       item.media_type),
        "media_type": lambda: ManifestFile(item.path, item.size, item.sha256, "text/plain"),
        "path": lambda: ManifestFile(item.path + "x", item.size, item.sha256, item.media_type),
    }[field]()
    other = [changed if i == index else f for i, f in enumerate(files)]
    if len({f.path for f in other}) < len(other):
        return  # the renamed path collides with another: a different manifest anyway
    assert build_manifest("d", "1", files)[1] != build_manifest("d", "1", other)[1]
    assert content_digest(files) != content_digest(other)


def test_labels_change_rev_but_not_the_content_digest() -> None:
    files = [ManifestFile("a.csv", 1, SHA, "text/csv")]
    assert build_manifest("d", "1.0.0", files)[1] != build_manifest("d", "1.0.1", files)[1]
    assert content_digest(files) == content_digest(list(files))


def test_a_manifest_refuses_duplicates_and_bad_digests() -> None:
    with pytest.raises(ValueError, match="twice"):
        build_manifest("d", "1", [ManifestFile("a", 1, SHA, "x/y")] * 2)
    with pytest.raises(ValueError, match="sha256"):
        build_manifest("d", "1", [ManifestFile("a", 1, "abc", "x/y")])


@pytest.mark.parametrize(("raw", "message"), [
    ("", "empty"), ("../etc/passwd", "'..'"), ("a/../../b", "'..'"), ("/etc/passwd", "absolute"),
    ("C:/x.csv", "absolute"), ("a\\b.csv", "backslash"), ("a//b", "empty"), ("a/./b", "'.'"),
    ("a/", "empty"), ("x\x00y", "control"), ("a/ b", "space"), ("a" * 600, "limit"),
    ("/".join(["d"] * 40), "deep"), ("가" * 100, "255 bytes"),
])
def test_paths_that_could_escape_or_break_are_refused(raw: str, message: str) -> None:
    with pytest.raises(PathError, match=message):
        normalize_path(raw)


def test_paths_are_stored_nfc() -> None:
    decomposed = "\u1100\u1161.csv"  # 가 as jamo (macOS file names)
    assert normalize_path(decomposed) == "가.csv"


def test_paths_colliding_on_download_are_refused() -> None:
    with pytest.raises(PathError, match="case"):
        check_paths(["data/A.csv", "data/a.csv"])
    with pytest.raises(PathError, match="folder"):
        check_paths(["data", "data/a.csv"])
    check_paths(["data/a.csv", "data/b.csv", "other/a.csv"])


def test_media_types_are_guessed_and_checked() -> None:
    assert guess_media_type("x/train.CSV") == "text/csv"
    assert guess_media_type("t.parquet") == "application/vnd.apache.parquet"
    assert guess_media_type("README") == "application/octet-stream"
    assert check_media_type(" Text/CSV ") == "text/csv"
    with pytest.raises(ValueError, match="media type"):
        check_media_type("csv")
