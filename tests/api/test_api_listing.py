"""A host pages through every team's submissions; a page is bounded."""

from __future__ import annotations

from fastapi.testclient import TestClient

from factories import Factories

API = "/api/v1"


def test_submissions_come_a_page_at_a_time(api: TestClient, live_factories: Factories) -> None:
    host, ann, ben = live_factories.host(), live_factories.person(), live_factories.person()
    challenge = live_factories.challenge(host, "paged-api")
    sample = (live_factories.bundles / "paged-api" / "sample_submission.csv").read_bytes()
    for person in (ann, ben, ann):
        live_factories.join(challenge, person)
        sent = api.post(f"{API}/challenges/paged-api/submissions", headers=person.headers,
                        files={"file": ("s.csv", sample)}, params={"wait": 20})
        assert sent.status_code == 201, sent.text
    everyone = api.get(f"{API}/challenges/paged-api/submissions", headers=host.headers,
                       params={"everyone": "true"}).json()
    assert len(everyone) == 3 and [s["team"] for s in everyone] == [
        ann.user.username, ben.user.username, ann.user.username]
    page = api.get(f"{API}/challenges/paged-api/submissions", headers=host.headers,
                   params={"everyone": "true", "limit": 1, "offset": 1}).json()
    assert [s["id"] for s in page] == [everyone[1]["id"]]
    own = api.get(f"{API}/challenges/paged-api/submissions", headers=ann.headers).json()
    assert len(own) == 2 and {s["team"] for s in own} == {ann.user.username}
    for bad in ({"limit": 0}, {"limit": 5000}, {"offset": -1}):
        refused = api.get(f"{API}/challenges/paged-api/submissions", headers=host.headers,
                          params={"everyone": "true", **bad})
        assert refused.status_code == 422 and "Invalid request" in refused.json()["detail"]
