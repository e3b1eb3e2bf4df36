"""Bundles: every mistake is named, nothing is stored from a bad bundle."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from aihub.challenges.bundle import open_bundle
from aihub.challenges.models import Challenge
from aihub.challenges.services import create_from_bundle
from aihub.errors import Conflict, Forbidden, InvalidInput
from aihub.hub import Hub
from factories import Factories


def _edit(folder: Path, **changes: object) -> None:
    spec = yaml.safe_load((folder / "challenge.yaml").read_text())
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    (folder / "challenge.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True))


def _create(hub: Hub, factories: Factories, host: object, path: Path) -> Challenge:
    with open_bundle(path, max_bytes=10**8) as bundle, hub.db.transaction() as session:
        return create_from_bundle(session, hub.storage, hub.truths, factories.actor(host),  # type: ignore[arg-type]
                                  bundle, max_file_bytes=10**8)


def _count(hub: Hub) -> int:
    with hub.db.reading() as session:
        return session.scalar(select(func.count(Challenge.id))) or 0


def test_folder_and_zip_bundles_create_a_challenge(hub: Hub, factories: Factories,
                                                   tmp_path: Path) -> None:
    host = factories.host()
    folder = factories.bundle("power-one")
    challenge = _create(hub, factories, host, folder)
    assert challenge.title_ko == "테스트 과제 power-one"
    assert [f.name for f in challenge.files] == ["train.csv", "test.csv", "sample_submission.csv"]
    assert challenge.solution_rows_public == 60
    assert challenge.solution_rows_private == 140
    archive = tmp_path / "b.zip"
    second = factories.bundle("power-two")
    with zipfile.ZipFile(archive, "w") as zf:
        for file in second.rglob("*"):
            zf.write(file, f"power-two/{file.relative_to(second)}")
    assert _create(hub, factories, host, archive).slug == "power-two"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"title": None}, "title"),
        ({"visibility": "secret"}, "visibility"),
        ({"phases": []}, "phases"),
        ({"evaluation": {"metric": "nope", "target": "target", "solution": "solution.csv"}},
         "evaluation.metric"),
        ({"sample_submission": "missing.csv"}, "sample_submission"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"phases": [{"name": "p", "start": "2026-01-02T00:00:00",
                      "end": "2026-03-01T00:00:00+09:00"}]},
         "time zone"),
        ({"phases": [{"name": "p", "start": "2026-03-02T00:00:00+09:00",
                      "end": "2026-03-01T00:00:00+09:00"}]}, "ends before it starts"),
        ({"files": [{"path": "solution.csv"}]}, "hidden labels"),
        # Other spellings of the same file: refused as unplain, then by content.
        ({"files": [{"path": "./solution.csv"}], "sample_submission": None}, "plainly"),
        ({"files": [{"path": "data//solution.csv"}], "sample_submission": None}, "plainly"),
        ({"files": [{"path": "../../etc/passwd"}], "sample_submission": None}, "relative"),
        ({"files": [{"path": "nothere.csv"}], "sample_submission": None}, "not in the bundle"),
        ({"organization": "nobody"}, "no organization"),
        ({"evaluation": {"metric": "rmse", "id_column": "id", "target": ["target", "id"],
                         "solution": "solution.csv"}}, "evaluation.target"),
        ({"evaluation": {"metric": "map_at_k", "metric_params": {"k": "ten"},
                         "target": "target", "solution": "solution.csv"}},
         "evaluation.metric_params"),
        ({"evaluation": {"metric": "map_at_k", "metric_params": {"k": 0},
                         "target": "target", "solution": "solution.csv"}},
         "k must be 1 or more"),
    ],
)
def test_bad_bundles_are_explained_and_store_nothing(
    hub: Hub, factories: Factories, changes: dict[str, object], message: str
) -> None:
    host = factories.host()
    folder = factories.bundle()
    _edit(folder, **changes)
    with pytest.raises(InvalidInput, match=message):
        _create(hub, factories, host, folder)
    assert _count(hub) == 0


def test_a_copy_of_the_solution_is_never_a_participant_file(
    hub: Hub, factories: Factories
) -> None:
    host = factories.host()
    folder = factories.bundle()
    (folder / "copy.csv").write_bytes((folder / "solution.csv").read_bytes())
    _edit(folder, files=[{"path": "copy.csv"}], sample_submission=None)
    with pytest.raises(InvalidInput, match=r"copy\.csv is the solution file"):
        _create(hub, factories, host, folder)
    assert _count(hub) == 0


def test_code_runs_see_plain_file_names(hub: Hub, factories: Factories) -> None:
    host = factories.host()
    folder = factories.bundle()
    (folder / "hidden").mkdir()
    (folder / "hidden" / "test.csv").write_bytes((folder / "test.csv").read_bytes())
    _edit(folder, code={"format": "main"}, sample_submission=None,
          files=[{"path": "hidden/test.csv", "audience": "sandbox"}])
    with pytest.raises(InvalidInput, match=r"plain file names: hidden/test\.csv"):
        _create(hub, factories, host, folder)


def test_bad_solution_is_explained(hub: Hub, factories: Factories) -> None:
    host = factories.host()
    folder = factories.bundle()
    (folder / "solution.csv").write_text("id,target,Usage\n1,1,Public\n1,0,Private\n")
    with pytest.raises(InvalidInput, match=r"evaluation\.solution"):
        _create(hub, factories, host, folder)
    assert _count(hub) == 0


def test_invalid_yaml(hub: Hub, factories: Factories) -> None:
    host = factories.host()
    folder = factories.bundle()
    (folder / "challenge.yaml").write_text("slug: [unclosed\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        _create(hub, factories, host, folder)


def test_zip_with_traversal_is_refused(hub: Hub, factories: Factories, tmp_path: Path) -> None:
    host = factories.host()
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("challenge.yaml", "slug: x\n")
        zf.writestr("../../escape.txt", "boo")
    with pytest.raises(InvalidInput, match="relative"):
        _create(hub, factories, host, archive)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_not_a_zip(hub: Hub, factories: Factories, tmp_path: Path) -> None:
    host = factories.host()
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InvalidInput, match="not a valid zip"):
        _create(hub, factories, host, archive)


def test_only_hosting_members_create(hub: Hub, factories: Factories) -> None:
    factories.host("daejeon-city")
    outsider = factories.person()
    with pytest.raises(Forbidden, match="cannot create challenges"):
        _create(hub, factories, outsider, factories.bundle())


def test_duplicate_slug(hub: Hub, factories: Factories) -> None:
    host = factories.host()
    _create(hub, factories, host, factories.bundle("same-slug"))
    with pytest.raises(Conflict, match="exists already"):
        _create(hub, factories, host, factories.bundle("same-slug", seed=9))
