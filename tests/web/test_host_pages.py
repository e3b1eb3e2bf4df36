"""Hosts' pages: the create form (with its solution check), the manage page, baselines,
rescoring and editing, and who may reach them."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from aihub.accounts.models import Organization
from aihub.challenges.models import Challenge, Phase
from aihub.db import utcnow
from aihub.hub import Hub
from aihub.submissions.models import Submission
from factories import Factories, Person
from webclient import csrf_token, sign_in, web_client

API = "/api/v1"
SOLUTION = "id,target,Usage\n" + "".join(
    f"{i},{i % 2},{'Public' if i % 3 == 0 else 'Private'}\n" for i in range(1, 31)
)
SAMPLE = "id,target\n" + "".join(f"{i},0.5\n" for i in range(1, 31))


def _fields(**overrides: str) -> dict[str, str]:
    fields = {
        "organization": "daejeon-city", "slug": "bus-delay",
        "title.ko": "버스 지연 예측", "title.en": "Bus delays",
        "description.ko": "버스가 늦을지 예측합니다.", "rules.ko": "1. 한 사람 한 계정.",
        "visibility": "public", "max_team_size": "3",
        "evaluation.metric": "roc_auc", "evaluation.id_column": "id",
        "evaluation.target": "target",
        "phases.0.name": "main", "phases.0.start": "2026-01-01T09:00",
        "phases.0.end": "2026-12-31T18:00", "phases.0.daily_limit": "4",
        "phases.0.final_selections": "2",
    }
    fields.update(overrides)
    return fields


def _files(solution: str = SOLUTION) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [
        ("files", ("train.csv", b"id,x,target\n1,0.1,0\n", "text/csv")),
        ("files", ("test.csv", b"id,x\n1,0.1\n", "text/csv")),
        ("sample_submission", ("sample.csv", SAMPLE.encode(), "text/csv")),
        ("evaluation.solution", ("solution.csv", solution.encode(), "text/csv")),
    ]


def _create(web: TestClient, fields: dict[str, str], files: Any = None) -> Any:
    token = csrf_token(web, "/host/new")
    return web.post("/host/new", data=fields | {"csrf_token": token},
                    files=_files() if files is None else files)


def _challenges(hub: Hub) -> int:
    with hub.db.reading() as session:
        return session.scalar(select(func.count(Challenge.id))) or 0


def _error_of(page: str, field: str) -> str:
    match = re.search(rf'<small id="e-{re.escape(field)}" class="field-error">([^<]*)<', page)
    assert match, f"no error shown next to {field}"
    return html.unescape(match.group(1))


def test_visitors_go_to_log_in_and_members_are_refused(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    response = web.get("/host")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/host"
    member = live_factories.person()
    sign_in(web, live_hub, member)
    for path in ("/host", "/host/new"):
        page = web.get(path)
        assert page.status_code == 403, path
        assert "권한이 없습니다" in page.text
    token = csrf_token(web, "/")
    assert web.post("/host/new", data=_fields() | {"csrf_token": token},
                    files=_files()).status_code == 403
    assert web.post("/host/solution-check", data={"csrf_token": token},
                    files=_files()).status_code == 403
    assert _challenges(live_hub) == 0


def test_forms_need_the_csrf_token(web: TestClient, live_hub: Hub,
                                   live_factories: Factories) -> None:
    sign_in(web, live_hub, live_factories.host())
    # With the files: the refusal closes the upload's spooled files (pytest would warn).
    assert web.post("/host/new", data=_fields(), files=_files()).status_code == 403
    wrong = _fields() | {"csrf_token": "0" * 64}
    assert web.post("/host/new", data=wrong, files=_files()).status_code == 403
    assert _challenges(live_hub) == 0


def test_a_host_creates_a_challenge_that_waits_for_approval(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host, member = live_factories.host(), live_factories.person()
    sign_in(web, live_hub, host)
    form = web.get("/host/new")
    assert form.status_code == 200
    assert 'name="phases.1.name"' in form.text  # room for a second phase
    assert "운영자 승인을 기다립니다" in form.text
    response = _create(web, _fields(**{"phases.1.name": "final",
                                       "phases.1.start": "2027-01-01T00:00",
                                       "phases.1.end": "2027-01-31T00:00"}))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/host/challenges/bus-delay?created=1"
    with live_hub.db.reading() as session:
        challenge = session.scalar(select(Challenge).where(Challenge.slug == "bus-delay"))
        assert challenge is not None and challenge.approved_at is None
        assert [f.name for f in challenge.files] == ["train.csv", "test.csv", "sample.csv"]
        assert challenge.sample_submission == "sample.csv"
        assert (challenge.solution_rows_public, challenge.solution_rows_private) == (10, 20)
        assert challenge.title_en == "Bus delays" and challenge.rules_en == challenge.rules_ko
        first, second = challenge.phases
        # Typed in the hub's time zone (Asia/Seoul, UTC+9).
        assert first.starts_at.isoformat() == "2026-01-01T00:00:00+00:00"
        assert first.daily_limit == 4 and second.name == "final"
    managed = web.get(response.headers["location"])
    assert "승인 대기" in managed.text and "대회를 만들었습니다" in managed.text
    assert web.get("/host").text.count("bus-delay") >= 1
    assert web.get(f"{API}/challenges/bus-delay", headers=member.headers).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [
        ({"phases.0.end": "2025-12-01T00:00"}, "phases.0.end", "ends before it starts"),
        ({"phases.0.start": "next monday"}, "phases.0.start", "datetime"),
        ({"evaluation.metric": "accuracyy"}, "evaluation.metric", "unknown metric"),
        ({"title.ko": ""}, "title.ko", "required"),
        ({"slug": "Bad Slug"}, "slug", "pattern"),
        ({"evaluation.target": "id"}, "evaluation.target", "id column"),
        ({"evaluation.metric": "map_at_k"}, "evaluation.metric_params.k", "needs k"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_stored(
    web: TestClient, live_hub: Hub, live_factories: Factories,
    overrides: dict[str, str], field: str, expected: str,
) -> None:
    sign_in(web, live_hub, live_factories.host())
    response = _create(web, _fields(**overrides))
    assert response.status_code == 422
    assert expected in _error_of(response.text, field)
    # What was typed comes back; files must be chosen again, and the page says so.
    assert 'value="버스 지연 예측"' in response.text or overrides.get("title.ko") == ""
    assert "2026-12-31T18:00" in response.text or "phases.0.end" in overrides
    assert "파일을 다시 골라 주세요" in response.text
    assert _challenges(live_hub) == 0


def test_a_bad_solution_file_and_a_taken_slug_are_refused(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    sign_in(web, live_hub, host)
    broken = SOLUTION.replace("Private", "Secret")
    response = _create(web, _fields(), _files(broken))
    assert response.status_code == 422
    assert "'public' or 'private'" in _error_of(response.text, "evaluation.solution")
    assert _challenges(live_hub) == 0
    live_factories.challenge(host, "bus-delay")
    taken = _create(web, _fields())
    assert taken.status_code == 422
    assert "exists already" in _error_of(taken.text, "slug")
    assert _challenges(live_hub) == 1


def test_a_host_cannot_create_for_an_organization_it_does_not_belong_to(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    live_factories.host("gwangju")
    sign_in(web, live_hub, live_factories.host("daejeon-city"))
    assert 'value="gwangju"' not in web.get("/host/new").text
    response = _create(web, _fields(organization="gwangju"))
    assert response.status_code == 422
    assert "cannot create challenges" in _error_of(response.text, "organization")
    assert _challenges(live_hub) == 0


def test_the_solution_check_answers_at_once_and_keeps_nothing(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    sign_in(web, live_hub, live_factories.host())
    token = csrf_token(web, "/host/new")
    blobs = sorted(p.name for p in live_hub.settings.resolved_blob_dir.rglob("*") if p.is_file())
    fields = {"evaluation.metric": "roc_auc", "evaluation.id_column": "id",
              "evaluation.target": "target", "csrf_token": token}
    solution = [("evaluation.solution", ("answers.csv", SOLUTION.encode(), "text/csv"))]
    good = web.post("/host/solution-check", data=fields, files=solution,
                    headers={"HX-Request": "true"})
    assert good.status_code == 200
    assert "<html" not in good.text  # a fragment
    assert "공개 10행, 비공개 20행" in good.text and "id, target, Usage" in good.text
    wrong = web.post("/host/solution-check", data=fields | {"evaluation.target": "label"},
                     files=solution, headers={"HX-Request": "true"})
    assert "lacks column(s) ['label']" in html.unescape(wrong.text)
    # Without JavaScript the whole form comes back, with what was typed and the answer.
    page = web.post("/host/solution-check", data=fields | {"title.ko": "제목"}, files=solution)
    assert "<html" in page.text and 'value="제목"' in page.text and "공개 10행" in page.text
    assert _challenges(live_hub) == 0
    after = sorted(p.name for p in live_hub.settings.resolved_blob_dir.rglob("*") if p.is_file())
    assert after == blobs


def _submit(web: TestClient, person: Person, slug: str, content: str) -> dict[str, Any]:
    response = web.post(f"{API}/challenges/{slug}/submissions", headers=person.headers,
                        files={"file": ("preds.csv", content.encode())}, params={"wait": 30})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def contest(web: TestClient, live_hub: Hub, live_factories: Factories) -> dict[str, Any]:
    """An approved challenge of daejeon-city with two teams' scored submissions."""
    host = live_factories.host()
    challenge = live_factories.challenge(host, "power-watch")
    folder = live_factories.bundles / "power-watch"
    sample = (folder / "sample_submission.csv").read_text()
    teams = {}
    for name in ("minsu", "jiwoo"):
        person = live_factories.person(name)
        live_factories.join(challenge, person)
        teams[name] = person
    first = _submit(web, teams["minsu"], "power-watch", sample)
    _submit(web, teams["jiwoo"], "power-watch", sample)
    with live_hub.db.transaction() as session:
        session.execute(update(Submission).where(Submission.id == first["id"]).values(
            status="failed", error="Your file could not be scored.",
            host_error="Traceback: secret path /srv/hidden/solution.csv"))
    return {"host": host, "teams": teams, "first": first["id"], "slug": "power-watch"}


def test_the_manage_page_shows_every_team_and_host_errors_to_hosts_only(
    web: TestClient, live_hub: Hub, live_factories: Factories, contest: dict[str, Any]
) -> None:
    sign_in(web, live_hub, contest["host"])
    page = web.get("/host/challenges/power-watch")
    assert page.status_code == 200
    assert "minsu" in page.text and "jiwoo" in page.text
    assert "secret path /srv/hidden" in page.text  # the host's details
    assert "/challenges/power-watch/leaderboard?split=private" in page.text
    failed_only = web.get("/host/challenges/power-watch", params={"status": "failed"})
    assert "minsu" in failed_only.text and "jiwoo" not in failed_only.text
    minsu = contest["teams"]["minsu"]
    mine = web.get(f"{API}/submissions/{contest['first']}", headers=minsu.headers).json()
    assert mine["error"] == "Your file could not be scored." and mine["host_error"] is None
    web.cookies.clear()
    sign_in(web, live_hub, minsu)
    refused = web.get("/host/challenges/power-watch")
    assert refused.status_code == 403 and "secret path" not in refused.text


def test_a_host_of_another_organization_cannot_manage_the_challenge(
    web: TestClient, live_hub: Hub, live_factories: Factories, contest: dict[str, Any]
) -> None:
    sign_in(web, live_hub, live_factories.host("gwangju"))
    assert "power-watch" not in web.get("/host").text
    for path in ("/host/challenges/power-watch", "/host/challenges/power-watch/edit"):
        page = web.get(path)
        assert page.status_code == 403 and "secret path" not in page.text
    token = csrf_token(web, "/host")
    rescore = web.post(f"/host/challenges/power-watch/submissions/{contest['first']}/rescore",
                       data={"csrf_token": token})
    assert rescore.status_code == 404
    baseline = web.post("/host/challenges/power-watch/baselines",
                        data={"csrf_token": token, "name_ko": "몰래"},
                        files={"file": ("b.csv", b"id,target\n1,0.5\n")})
    assert baseline.status_code == 403
    edit = web.post("/host/challenges/power-watch/edit",
                    data={"csrf_token": token, "title.ko": "바꿈"})
    assert edit.status_code == 403
    with live_hub.db.reading() as session:
        assert session.scalar(select(func.count(Submission.id)).where(
            Submission.is_baseline.is_(True), Submission.baseline_name_ko == "몰래")) == 0
        title = session.scalar(select(Challenge.title_ko).where(Challenge.slug == "power-watch"))
        assert title != "바꿈"


def test_a_host_rescores_a_failed_submission(
    web: TestClient, live_hub: Hub, contest: dict[str, Any]
) -> None:
    sign_in(web, live_hub, contest["host"])
    token = csrf_token(web, "/host/challenges/power-watch")
    response = web.post(
        f"/host/challenges/power-watch/submissions/{contest['first']}/rescore",
        data={"csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"rescored={contest['first']}")
    minsu = contest["teams"]["minsu"]
    scored = web.get(f"{API}/submissions/{contest['first']}", headers=minsu.headers,
                     params={"wait": 30}).json()
    assert scored["status"] == "finished" and scored["error"] == ""


def test_rescoring_a_submission_being_scored_says_why_not(
    hub: Hub, factories: Factories
) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "queued-up")
    factories.join(challenge, member)
    sample = (factories.bundles / "queued-up" / "sample_submission.csv").read_text()
    with web_client(hub) as client:  # no workers: the submission stays queued
        submission = client.post(f"{API}/challenges/queued-up/submissions",
                                 headers=member.headers, files={"file": ("s.csv", sample)})
        sign_in(client, hub, host)
        token = csrf_token(client, "/host/challenges/queued-up")
        response = client.post(
            f"/host/challenges/queued-up/submissions/{submission.json()['id']}/rescore",
            data={"csrf_token": token},
        )
        assert response.status_code == 409
        assert "being scored already" in response.text


def test_a_host_adds_a_baseline_and_a_missing_file_keeps_the_name(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    live_factories.challenge(host, "with-baseline")
    sign_in(web, live_hub, host)
    token = csrf_token(web, "/host/challenges/with-baseline")
    missing = web.post("/host/challenges/with-baseline/baselines",
                       data={"csrf_token": token, "name_ko": "평균값 기준선"})
    assert missing.status_code == 422
    assert 'value="평균값 기준선"' in missing.text
    assert "기준선 예측 파일을 고르세요" in _error_of(missing.text, "file")
    sample = (live_factories.bundles / "with-baseline" / "sample_submission.csv").read_bytes()
    nameless = web.post("/host/challenges/with-baseline/baselines",
                        data={"csrf_token": token, "name_ko": " "},
                        files={"file": ("mean.csv", sample)})
    assert nameless.status_code == 422 and "needs a name" in _error_of(nameless.text, "name_ko")
    added = web.post("/host/challenges/with-baseline/baselines",
                     data={"csrf_token": token, "name_ko": "평균값 기준선", "name_en": "Mean"},
                     files={"file": ("mean.csv", sample)})
    assert added.status_code == 303
    with live_hub.db.reading() as session:
        names = session.scalars(select(Submission.baseline_name_en).where(
            Submission.is_baseline.is_(True)))
        assert "Mean" in list(names)
    # The manage page names it, as the API does.
    assert "평균값 기준선" in web.get("/host/challenges/with-baseline").text
    listed = web.get("/api/v1/challenges/with-baseline/submissions",
                     params={"everyone": "true"}, headers=host.headers).json()
    assert {"ko": "평균값 기준선", "en": "Mean"} in [s["baseline"] for s in listed]


def _edit_fields(web: TestClient, slug: str) -> dict[str, str]:
    """The edit form's fields as the page fills them."""
    page = web.get(f"/host/challenges/{slug}/edit").text
    inputs = r'name="([^"]+)" type="(?:text|number|datetime-local)"\s*value="([^"]*)"'
    fields = dict(re.findall(inputs, page))
    textareas = r'name="([^"]+)" rows="\d+"[^>]*>([^<]*)</textarea>'
    fields |= {name: value.strip() for name, value in re.findall(textareas, page)}
    for name, options in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>',
                                    page, flags=re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        fields[name] = chosen.group(1) if chosen else ""
    fields["csrf_token"] = csrf_token(web, f"/host/challenges/{slug}/edit")
    return {name: html.unescape(value) for name, value in fields.items()}


def test_a_host_edits_texts_and_phases_and_the_board_moves(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    live_factories.challenge(host, "editable")
    sign_in(web, live_hub, host)
    fields = _edit_fields(web, "editable")
    assert fields["title.ko"] == "테스트 과제 editable"
    with live_hub.db.reading() as session:
        before = session.scalar(select(Phase.board_version))
    end = (utcnow() + timedelta(days=60)).astimezone(live_hub.settings.zone)
    changed = fields | {"title.ko": "고친 제목", "phases.0.final_selections": "3",
                        "phases.0.end": end.strftime("%Y-%m-%dT%H:%M")}
    response = web.post("/host/challenges/editable/edit", data=changed)
    assert response.status_code == 303, response.text
    with live_hub.db.reading() as session:
        challenge = session.scalar(select(Challenge).where(Challenge.slug == "editable"))
        assert challenge is not None and challenge.title_ko == "고친 제목"
        assert challenge.phases[0].final_selections == 3
        assert challenge.phases[0].board_version > (before or 0)
    bad = web.post("/host/challenges/editable/edit",
                   data=changed | {"phases.0.end": "2000-01-01T00:00", "title.ko": "다시"})
    assert bad.status_code == 422
    assert "ends before it starts" in _error_of(bad.text, "phases.0.end")
    assert 'value="다시"' in bad.text
    with live_hub.db.reading() as session:
        assert session.scalar(select(Challenge.title_ko)) == "고친 제목"


def test_scoring_settings_are_locked_once_there_are_submissions(
    web: TestClient, live_hub: Hub, live_factories: Factories, contest: dict[str, Any]
) -> None:
    sign_in(web, live_hub, contest["host"])
    page = web.get("/host/challenges/power-watch/edit")
    assert "바꿀 수 없습니다" in page.text
    assert 'name="evaluation.metric"' not in page.text
    fields = _edit_fields(web, "power-watch")
    with live_hub.db.reading() as session:
        before = session.scalar(select(Phase.board_version))
    response = web.post("/host/challenges/power-watch/edit",
                        data=fields | {"evaluation.metric": "log_loss"})
    assert response.status_code == 303
    with live_hub.db.reading() as session:
        assert session.scalar(select(Challenge.metric)) == "roc_auc"
        # Dates saved as the form showed them (to the minute) keep their seconds: the
        # board did not move.
        assert session.scalar(select(Phase.board_version)) == before


def test_host_pages_read_in_english(web_en: TestClient, live_hub: Hub,
                                    live_factories: Factories) -> None:
    sign_in(web_en, live_hub, live_factories.host())
    page = web_en.get("/host/new")
    assert '<html lang="en">' in page.text and "Create the challenge" in page.text
    assert "You host no challenge yet." in web_en.get("/host").text


def test_the_menu_offers_host_pages_as_the_policy_does(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    # A member of an organization that may no longer create challenges still manages the
    # ones it has: its menu keeps the Host link, and the page answers.
    former = live_factories.host("retired-org")
    with live_hub.db.transaction() as session:
        session.execute(update(Organization).where(Organization.slug == "retired-org")
                        .values(can_host=False))
    sign_in(web, live_hub, former)
    assert 'href="/host"' in web.get("/").text
    assert web.get("/host").status_code == 200
    assert 'href="/curator"' not in web.get("/").text
    with web_client(live_hub) as other:
        sign_in(other, live_hub, live_factories.person())
        assert 'href="/host"' not in other.get("/").text
        assert other.get("/host").status_code == 403
