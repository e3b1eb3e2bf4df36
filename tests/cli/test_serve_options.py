"""``aihub serve`` believes X-Forwarded-For only from the proxies it is told of, so the
per-address limit on failed log-ins counts browsers behind a proxy, and a browser cannot
dodge the limit by sending the header itself."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import delete, select

from aihub.accounts.models import LoginFailure
from aihub.app import create_app
from aihub.cli.server_verbs import server_options
from aihub.hub import Hub
from aihub.settings import Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serving(hub: Hub, settings: Settings) -> Iterator[str]:
    port = _free_port()
    options = server_options(settings) | {"log_level": "warning"}
    server = uvicorn.Server(uvicorn.Config(create_app(hub=hub), host="127.0.0.1", port=port,
                                           **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _failed_login_address(hub: Hub, url: str) -> str:
    # Over plain HTTP the Secure cookies would not come back: send them by hand.
    with httpx.Client(base_url=url) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
        assert token, form.text[:200]
        client.headers["Cookie"] = f"aihub_csrf={form.cookies['aihub_csrf']}"
        answer = client.post("/login", data={"login": "nobody", "password": "wrong-one",
                                             "csrf_token": token.group(1)},
                             headers={"X-Forwarded-For": "203.0.113.7"})
        assert answer.status_code == 422, answer.text[:300]
    with hub.db.transaction() as session:
        addresses = list(session.scalars(select(LoginFailure.address)))
        session.execute(delete(LoginFailure))
    assert len(addresses) == 1
    return addresses[0]


@pytest.mark.slow
def test_the_browsers_address_is_believed_only_from_a_known_proxy(live_hub: Hub) -> None:
    trusted = live_hub.settings.model_copy(update={"forwarded_allow_ips": "127.0.0.1"})
    with _serving(live_hub, trusted) as url:
        assert _failed_login_address(live_hub, url) == "203.0.113.7"
    stranger = live_hub.settings.model_copy(update={"forwarded_allow_ips": "10.0.0.5"})
    with _serving(live_hub, stranger) as url:
        assert _failed_login_address(live_hub, url) == "127.0.0.1"
