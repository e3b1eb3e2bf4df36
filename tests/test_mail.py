"""The mail seam: the log file by default, SMTP through a real (local, minimal) server."""

from __future__ import annotations

import socketserver
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from aihub.mail import LogMailer, Mail, SmtpMailer, mailer_from_settings, parse_host
from aihub.settings import Settings

MAIL = Mail(to="minji@example.org", subject="비밀번호 재설정", body="링크: https://hub/x\n")


def test_the_log_mailer_appends_readable_mails_only_the_hub_can_read(tmp_path: Path) -> None:
    path = tmp_path / "data" / "mail.log"
    mailer = LogMailer(path, "aihub <noreply@hub.example>")
    mailer.send(MAIL)
    mailer.send(Mail(to="sora@example.org", subject="second", body="two"))
    text = path.read_text(encoding="utf-8")
    assert "To: minji@example.org\n" in text and "Subject: 비밀번호 재설정\n" in text
    assert "링크: https://hub/x" in text and "From: aihub <noreply@hub.example>" in text
    assert text.index("minji@") < text.index("sora@")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: greeting, EHLO, AUTH PLAIN, MAIL, RCPT,
    DATA, QUIT. What it receives goes to the server's ``received`` list."""

    def handle(self) -> None:
        server: _SmtpServer = self.server  # type: ignore[assignment]
        self._reply("220 test ESMTP")
        while line := self.rfile.readline():
            verb = line.decode().strip().split(" ")[0].upper()
            if verb == "EHLO":
                self._reply("250-test", "250 AUTH PLAIN")
            elif verb == "AUTH":
                server.auth.append(line.decode().strip())
                self._reply("235 ok")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self._reply("250 ok")
            elif verb == "DATA":
                self._reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                server.received.append(data)
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 no")

    def _reply(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    received: list[bytes]
    auth: list[str]


@contextmanager
def _serving(address: str) -> Iterator[_SmtpServer]:
    server = _SmtpServer((address, 0), _SmtpHandler)
    server.received, server.auth = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_server() -> Iterator[_SmtpServer]:
    with _serving("127.0.0.1") as server:
        yield server


@pytest.fixture
def distant_smtp_server() -> Iterator[_SmtpServer]:
    """A server aihub must treat as on another machine: not one of the names of this one."""
    with _serving("127.0.0.2") as server:
        yield server


def test_the_smtp_mailer_sends_a_utf8_mail_and_logs_in(smtp_server: _SmtpServer) -> None:
    port = smtp_server.server_address[1]
    mailer = SmtpMailer("127.0.0.1", port, "aihub <noreply@hub.example>", user="hub",
                        password="pw", timeout=5)
    mailer.send(MAIL)
    assert len(smtp_server.received) == 1
    assert smtp_server.auth and smtp_server.auth[0].startswith("AUTH PLAIN")
    message = message_from_bytes(smtp_server.received[0], policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == "minji@example.org" and message["Subject"] == "비밀번호 재설정"
    body = message.get_body()
    assert body is not None and "링크: https://hub/x" in body.get_content()


def test_no_password_in_clear_text_to_a_server_elsewhere(
    distant_smtp_server: _SmtpServer,
) -> None:
    # The test server offers no STARTTLS: logging in would send the password in clear.
    smtp_server = distant_smtp_server
    port = smtp_server.server_address[1]
    mailer = SmtpMailer("127.0.0.2", port, "aihub <noreply@hub.example>", user="hub",
                        password="pw", timeout=5)
    with pytest.raises(OSError, match="clear text"):
        mailer.send(MAIL)
    assert smtp_server.auth == [] and smtp_server.received == []
    # Without a password to protect, a plain relay still gets the mail.
    SmtpMailer("127.0.0.2", port, "aihub <noreply@hub.example>", timeout=5).send(MAIL)
    assert len(smtp_server.received) == 1


def test_an_unreachable_smtp_server_raises_an_os_error() -> None:
    mailer = SmtpMailer("127.0.0.1", 1, "aihub <noreply@hub.example>", timeout=2)
    with pytest.raises(OSError):
        mailer.send(MAIL)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("mail.example", ("mail.example", 587)), ("mail.example:25", ("mail.example", 25)),
     ("[::1]:2525", ("::1", 2525)), ("[::1]", ("::1", 587))],
)
def test_smtp_hosts_are_read_with_or_without_a_port(value: str, expected: tuple[str, int]) -> None:
    assert parse_host(value) == expected


def test_the_setting_chooses_the_mailer(tmp_path: Path) -> None:
    default = mailer_from_settings(Settings(data_dir=tmp_path))
    assert isinstance(default, LogMailer) and default.path == tmp_path / "mail.log"
    smtp = mailer_from_settings(Settings(data_dir=tmp_path, mailer="smtp",
                                         smtp_host="mail.example:2525",
                                         public_base_url="https://hub.example"))
    assert isinstance(smtp, SmtpMailer) and (smtp.host, smtp.port) == ("mail.example", 2525)


@pytest.mark.parametrize(
    ("values", "message"),
    [({"mailer": "smtp", "public_base_url": "https://hub.example"}, "SMTP_HOST"),
     # Links in real mail are never built from a Host header the asker chose.
     ({"mailer": "smtp", "smtp_host": "mail.example"}, "PUBLIC_BASE_URL"),
     ({"mailer": "pigeon"}, "'log' or 'smtp'"),
     # A host that cannot be read is refused at start, not at the first password reset.
     *[({"mailer": "smtp", "smtp_host": bad, "public_base_url": "https://hub.example"},
        "not host or host:port") for bad in ("[::1]:x", "mail:x", "mail:99999", "[::1", ":25")]],
)
def test_mail_settings_that_cannot_work_are_refused_at_start(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]
