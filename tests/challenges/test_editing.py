"""Hosts' challenge services beyond bundles: a spec from fields, errors named by field, the
solution check, editing (and what it refuses), and the lists of hosts and curators."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from aihub.app import create_app
from aihub.challenges.editing import (
    ChallengeEdit,
    check_solution,
    create_challenge,
    edit_challenge,
    field_errors,
    parse_edit,
    spec_from_fields,
)
from aihub.challenges.hosting import curation, hosted_challenges
from aihub.challenges.models import Challenge, Phase
from aihub.challenges.services import get_challenge
from aihub.db import utcnow
from aihub.errors import FieldErrors, Forbidden, InvalidInput
from aihub.hub import Hub
from aihub.submissions.models import Submission
from factories import Factories

API = "/api/v1"
SOLUTION = "id,target,split\n" + "".join(
    f"{i},{i % 2},{'public' if i <= 4 else 'private'}\n" for i in range(1, 13)
)


def _raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "slug": "new-one", "organization": "daejeon-city",
        "title": {"ko": "제목"}, "description": {"ko": "설명"}, "rules": {"ko": "규칙"},
        "evaluation": {"metric": "roc_auc", "id_column": "id", "target": "target",
                       "solution": "_solution/solution.csv"},
        "files": [],
        "phases": [{"name": "main", "start": "2026-01-01T00:00:00+09:00",
                    "end": "2026-02-01T00:00:00+09:00"}],
    }
    raw.update(changes)
    return raw


def _fields_of(**changes: Any) -> dict[str, str]:
    with pytest.raises(FieldErrors) as caught:
        spec_from_fields(_raw(**changes))
    return caught.value.fields


def test_a_spec_from_fields_names_the_field_of_each_problem() -> None:
    late = [{"name": "main", "start": "2026-02-01T00:00:00+09:00",
             "end": "2026-01-01T00:00:00+09:00"}]
    assert "ends before it starts" in _fields_of(phases=late)["phases.0"]
    assert _fields_of(title={"en": "Only English"}) == {"title.ko": "Field required"}
    assert "unknown metric" in _fields_of(
        evaluation={"metric": "nope", "target": "t", "solution": "s.csv"})["evaluation.metric"]
    assert "needs k" in _fields_of(
        evaluation={"metric": "map_at_k", "target": "t", "solution": "s.csv"}
    )["evaluation.metric_params.k"]
    assert "id column" in _fields_of(
        evaluation={"metric": "rmse", "target": ["id"], "solution": "s.csv"})["evaluation.target"]
    assert "cannot be read" in _fields_of(
        evaluation={"metric": "map_at_k", "metric_params": {"k": "ten"}, "target": "t",
                    "solution": "s.csv"})["evaluation.metric_params"]
    assert "1 or more" in _fields_of(
        evaluation={"metric": "map_at_k", "metric_params": {"k": -3}, "target": "t",
                    "solution": "s.csv"})["evaluation.metric_params.k"]
    assert spec_from_fields(_raw()).slug == "new-one"


def test_service_messages_are_read_back_to_their_fields() -> None:
    assert field_errors(InvalidInput("evaluation.solution (_solution/a.csv): no rows")) == {
        "evaluation.solution": "no rows"}
    assert field_errors(InvalidInput("organization: no organization is called 'x'.")) == {
        "organization": "no organization is called 'x'."}
    assert field_errors(InvalidInput("Something else went wrong.")) == {
        "": "Something else went wrong."}


def _root(tmp_path: Path, solution: str = SOLUTION) -> Path:
    (tmp_path / "_solution").mkdir()
    (tmp_path / "_solution" / "solution.csv").write_text(solution)
    return tmp_path


def test_create_challenge_names_the_slug_or_organization_at_fault(
    hub: Hub, factories: Factories, tmp_path: Path
) -> None:
    host = factories.host()
    factories.host("gwangju")
    root = _root(tmp_path)
    with hub.db.transaction() as session:
        challenge = create_challenge(session, hub.storage, hub.truths, factories.actor(host),
                                     spec_from_fields(_raw()), root, max_file_bytes=10**6)
        assert challenge.approved_at is None and challenge.solution_rows_public == 4
    for raw, field in ((_raw(), "slug"), (_raw(slug="other", organization="gwangju"),
                                          "organization")):
        with pytest.raises(FieldErrors) as caught, hub.db.transaction() as session:
            create_challenge(session, hub.storage, hub.truths, factories.actor(host),
                             spec_from_fields(raw), root, max_file_bytes=10**6)
        assert list(caught.value.fields) == [field]
    with hub.db.reading() as session:
        assert [c.slug for c in session.scalars(select(Challenge))] == ["new-one"]


def test_the_solution_check_reads_as_the_scorer_and_says_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(SOLUTION)
    settings = {"metric": "roc_auc", "id_column": "id", "target": "target"}
    good = check_solution(path, settings, max_bytes=10**6)
    assert good.ok and (good.public_rows, good.private_rows) == (4, 8)
    assert good.columns == ["id", "target", "split"]
    missing = check_solution(path, settings | {"target": "label"}, max_bytes=10**6)
    assert missing.field == "evaluation.solution" and "label" in (missing.error or "")
    assert missing.columns == ["id", "target", "split"]
    metric = check_solution(path, settings | {"metric": "nope"}, max_bytes=10**6)
    assert metric.field == "evaluation.metric"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty" in (check_solution(empty, settings, max_bytes=10**6).error or "")


def _edit_of(challenge: Challenge, **changes: Any) -> ChallengeEdit:
    phase = challenge.phases[0]
    raw: dict[str, Any] = {
        "title": {"ko": challenge.title_ko, "en": challenge.title_en},
        "description": {"ko": challenge.description_ko}, "rules": {"ko": challenge.rules_ko},
        "visibility": challenge.visibility, "max_team_size": challenge.max_team_size,
        "phases": [{"name": phase.name, "start": phase.starts_at, "end": phase.ends_at,
                    "daily_limit": phase.daily_limit,
                    "final_selections": phase.final_selections}],
    }
    raw.update(changes)
    return parse_edit(raw)


def _edit(hub: Hub, factories: Factories, person: Any, slug: str,
          solution: Path | None = None, **changes: Any) -> None:
    with hub.db.transaction() as session:
        challenge = get_challenge(session, slug)
        edit_challenge(session, hub.storage, hub.truths, factories.actor(person), challenge,
                       _edit_of(challenge, **changes), solution=solution, max_file_bytes=10**6)


def _version(hub: Hub) -> int:
    with hub.db.reading() as session:
        return session.scalar(select(Phase.board_version)) or 0


def test_only_the_challenges_hosts_edit_it(hub: Hub, factories: Factories) -> None:
    host = factories.host()
    factories.challenge(host, "guarded")
    for stranger in (factories.person(), factories.host("gwangju")):
        with pytest.raises(Forbidden):
            _edit(hub, factories, stranger, "guarded", title={"ko": "바꿈"})
    _edit(hub, factories, factories.curator(), "guarded", title={"ko": "운영자가 고침"})
    with hub.db.reading() as session:
        assert get_challenge(session, "guarded").title_ko == "운영자가 고침"


def test_edits_that_move_the_private_board_raise_its_version(
    hub: Hub, factories: Factories
) -> None:
    host = factories.host()
    factories.challenge(host, "moving", final_selections=2)
    _edit(hub, factories, host, "moving", title={"ko": "제목만", "en": ""})
    assert _version(hub) == 0
    with hub.db.reading() as session:
        challenge = get_challenge(session, "moving")
        assert challenge.title_en == "제목만"  # English left empty falls back to Korean
        phase = challenge.phases[0]
    new_end = phase.ends_at + timedelta(days=7)
    _edit(hub, factories, host, "moving", phases=[
        {"name": "main", "start": phase.starts_at, "end": new_end, "final_selections": 3}])
    assert _version(hub) == 1
    with hub.db.reading() as session:
        phase = get_challenge(session, "moving").phases[0]
        assert (phase.ends_at, phase.final_selections) == (new_end, 3)


def test_final_selections_cannot_drop_below_what_a_team_has_picked(
    hub: Hub, factories: Factories
) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "picked", final_selections=3)
    factories.join(challenge, member)
    sample = (factories.bundles / "picked" / "sample_submission.csv").read_text()
    with TestClient(create_app(hub=hub)) as api:
        for _ in range(2):
            api.post(f"{API}/challenges/picked/submissions", headers=member.headers,
                     files={"file": ("s.csv", sample)})
    with hub.db.transaction() as session:
        session.execute(update(Submission).values(status="finished", selected=True))
    phase = challenge.phases[0]
    with pytest.raises(FieldErrors) as caught:
        _edit(hub, factories, host, "picked", phases=[
            {"name": "main", "start": phase.starts_at, "end": phase.ends_at,
             "final_selections": 1}])
    assert "already selected 2" in caught.value.fields["phases.0.final_selections"]
    _edit(hub, factories, host, "picked", phases=[
        {"name": "main", "start": phase.starts_at, "end": phase.ends_at, "final_selections": 2}])


def test_the_scoring_changes_only_while_nobody_has_submitted(
    hub: Hub, factories: Factories, tmp_path: Path
) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "rescoring")
    factories.join(challenge, member)
    smaller = tmp_path / "smaller.csv"
    smaller.write_text(SOLUTION)
    evaluation = {"metric": "average_precision", "id_column": "id", "target": "target"}
    _edit(hub, factories, host, "rescoring", solution=smaller, evaluation=evaluation)
    with hub.db.reading() as session:
        changed = get_challenge(session, "rescoring")
        assert changed.metric == "average_precision"
        assert (changed.solution_rows_public, changed.solution_rows_private) == (4, 8)
    with pytest.raises(FieldErrors) as bad:
        _edit(hub, factories, host, "rescoring", evaluation=evaluation | {"target": "nope"})
    assert "nope" in bad.value.fields["evaluation.solution"]
    sample = "id,target\n" + "".join(f"{i},0.5\n" for i in range(1, 13))
    with TestClient(create_app(hub=hub)) as api:
        api.post(f"{API}/challenges/rescoring/submissions", headers=member.headers,
                 files={"file": ("s.csv", sample)})
    _edit(hub, factories, host, "rescoring", evaluation=evaluation)  # unchanged: fine
    with pytest.raises(FieldErrors) as locked:
        _edit(hub, factories, host, "rescoring", evaluation=evaluation | {"metric": "roc_auc"})
    assert "cannot change once there are submissions" in locked.value.fields["evaluation"]


def test_edit_input_is_checked_like_a_bundle() -> None:
    with pytest.raises(FieldErrors) as caught:
        parse_edit({"title": {"ko": " "}, "description": {"ko": "d"}, "rules": {"ko": "r"},
                    "visibility": "secret", "max_team_size": 0})
    assert set(caught.value.fields) >= {"title.ko", "visibility", "max_team_size"}


def test_hosts_list_their_challenges_and_curators_the_waiting_ones(
    hub: Hub, factories: Factories
) -> None:
    host, other, curator = factories.host(), factories.host("gwangju"), factories.curator()
    factories.challenge(host, "mine-waiting", approved=False)
    factories.challenge(other, "theirs", organization="gwangju")
    now = utcnow()
    with hub.db.reading() as session:
        mine = hosted_challenges(session, factories.actor(host), now)
        assert [(h.challenge.slug, h.challenge.approved) for h in mine] == [
            ("mine-waiting", False)]
        assert {h.challenge.slug for h in hosted_challenges(
            session, factories.actor(curator), now)} == {"mine-waiting", "theirs"}
        lists = curation(session, factories.actor(curator), now)
        assert [c.challenge.slug for c in lists.awaiting_approval] == ["mine-waiting"]
        assert [c.challenge.slug for c in lists.private_closed] == ["theirs"]
        with pytest.raises(Forbidden):
            hosted_challenges(session, factories.actor(factories.person()), now)
        with pytest.raises(Forbidden):
            curation(session, factories.actor(host), now)


@contextmanager
def _api(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
        yield client


def test_the_json_routes_share_the_services_and_their_rules(
    hub: Hub, factories: Factories
) -> None:
    host, member, curator = factories.host(), factories.person(), factories.curator()
    challenge = factories.challenge(host, "via-api")
    phase = challenge.phases[0]
    body = {"title": {"ko": "API로 고침"}, "description": {"ko": "d"}, "rules": {"ko": "r"},
            "visibility": "unlisted", "max_team_size": 2,
            "phases": [{"name": "main", "start": phase.starts_at.isoformat(),
                        "end": phase.ends_at.isoformat()}]}
    with _api(hub) as api:
        assert api.patch(f"{API}/challenges/via-api", json=body,
                         headers=member.headers).status_code == 403
        late = body | {"phases": [{"name": "main", "start": phase.ends_at.isoformat(),
                                   "end": phase.starts_at.isoformat()}]}
        assert api.patch(f"{API}/challenges/via-api", json=late,
                         headers=host.headers).status_code == 422
        done = api.patch(f"{API}/challenges/via-api", json=body, headers=host.headers)
        assert done.status_code == 200, done.text
        assert done.json()["title"]["ko"] == "API로 고침"
        assert done.json()["visibility"] == "unlisted"
        hosted = api.get(f"{API}/hosted-challenges", headers=host.headers)
        assert [h["challenge"]["slug"] for h in hosted.json()] == ["via-api"]
        assert api.get(f"{API}/hosted-challenges", headers=member.headers).status_code == 403
        assert api.get(f"{API}/curation", headers=host.headers).status_code == 403
        assert api.get(f"{API}/curation", headers=curator.headers).json()[
            "private_closed"][0]["challenge"]["slug"] == "via-api"


def test_a_summary_left_out_stays_and_an_emptied_one_is_cleared(
    hub: Hub, factories: Factories
) -> None:
    host = factories.host()
    factories.challenge(host, "summed")
    _edit(hub, factories, host, "summed", summary={"ko": "한 줄 요약", "en": ""})
    _edit(hub, factories, host, "summed", title={"ko": "제목"})
    with hub.db.reading() as session:
        challenge = get_challenge(session, "summed")
        assert (challenge.summary_ko, challenge.summary_en) == ("한 줄 요약", "한 줄 요약")
    _edit(hub, factories, host, "summed", summary={})
    with hub.db.reading() as session:
        assert get_challenge(session, "summed").summary_ko == ""
