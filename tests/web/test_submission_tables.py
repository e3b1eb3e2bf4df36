"""The tables of submissions read no program output whole: "My submissions" (polled every
2 s while something is scored) shows none, and the hosts' manage page shows the end of each
output, cut in the database. The hub runs no worker: what is queued stays queued."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from aihub.hub import Hub
from aihub.submissions.models import Submission
from aihub.web.pages.host import LOG_TAIL
from factories import Factories
from webclient import csrf_token, sign_in, web_client

HTMX = {"HX-Request": "true"}
# A column read whole, not through substr() or length() (whose "(" precedes it).
WHOLE_LOG = re.compile(r"(?<!\()submissions\.(?:host_)?log\b")


@pytest.fixture
def web(hub: Hub) -> Iterator[TestClient]:
    with web_client(hub) as client:
        yield client


@contextmanager
def recorded(hub: Hub) -> Iterator[list[str]]:
    """Every statement sent to the database meanwhile."""
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(hub.db.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", seen)


def _submit(web: TestClient, factories: Factories) -> int:
    sample = (factories.bundles / "tables" / "sample_submission.csv").read_bytes()
    sent = web.post("/challenges/tables/submit", headers=HTMX,
                    data={"csrf_token": csrf_token(web, "/challenges/tables/submit")},
                    files={"file": ("p.csv", sample, "text/csv")})
    assert sent.status_code == 201, sent.text
    return int(sent.text.split('id="submission-', 1)[1].split('"', 1)[0])


def test_tables_read_only_the_end_of_each_output(
    web: TestClient, hub: Hub, factories: Factories
) -> None:
    host = factories.host()
    challenge = factories.challenge(host, "tables")
    member = factories.person()
    factories.join(challenge, member)
    sign_in(web, hub, member)
    long_id, short_id, quiet_id = (_submit(web, factories) for _ in range(3))
    with hub.db.transaction() as session:
        for submission_id, host_log in ((long_id, "y" * 1_000_000 + "the end ※"),
                                        (short_id, "short output ※")):
            session.execute(update(Submission).where(Submission.id == submission_id).values(
                log="x" * 1_000_000, host_log=host_log, status="failed"))

    with recorded(hub) as statements:
        mine = web.get("/challenges/tables/submissions", headers=HTMX)
    assert mine.status_code == 200 and "x" * 100 not in mine.text
    assert not [s for s in statements if WHOLE_LOG.search(s)]

    with web_client(hub) as host_web:
        sign_in(host_web, hub, host)
        with recorded(hub) as statements:
            page = host_web.get("/host/challenges/tables")
        assert page.status_code == 200
        assert not [s for s in statements if WHOLE_LOG.search(s)]
    text = html.unescape(page.text)
    rows = {int(found.group(1)): found.group(2) for found in re.finditer(
        r'<a href="/submissions/(\d+)">\d+</a>(.*?)</tr>', text, re.S)}
    assert set(rows) == {long_id, short_id, quiet_id}
    # The last LOG_TAIL characters of the long one, said to be its end; the short one whole.
    assert "y" * (LOG_TAIL - len("the end ※")) + "the end ※</pre>" in rows[long_id]
    assert "y" * (LOG_TAIL - len("the end ※") + 1) not in rows[long_id]
    assert "여기에는 마지막 2,000자만 보입니다." in rows[long_id]
    assert "short output ※</pre>" in rows[short_id] and "마지막" not in rows[short_id]
    assert "<pre>" not in rows[quiet_id]
