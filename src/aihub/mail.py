"""Mails the hub sends (password resets), behind one seam.

``Mailer`` is the interface; ``LogMailer`` (the default) writes each mail to the log and to
DATA_DIR/mail.log, so a hub run on one machine needs no mail server and its operator can
still hand a member the link; ``SmtpMailer`` sends through an SMTP server with the standard
library. ``mailer_from_settings`` picks one by the ``mailer`` setting.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from aihub.db import utcnow
from aihub.settings import Settings, parse_host

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 20.0
# Ends each mail in mail.log.
SEPARATOR = "-" * 72


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, mail: Mail) -> None:
        """Send ``mail`` or raise ``OSError`` (``smtplib.SMTPException`` is one)."""


def build_message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="aihub")
    # Korean text: EmailMessage picks UTF-8 with a transfer encoding mail servers accept.
    message.set_content(mail.body)
    return message


class LogMailer:
    """Writes mails to the log and appends them to a file instead of sending them."""

    def __init__(self, path: Path, sender: str) -> None:
        self.path = path
        self.sender = sender
        self._lock = threading.Lock()

    def send(self, mail: Mail) -> None:
        # Plain text, not MIME: Korean bodies would be base64 there, and people read this.
        text = (
            f"From: {self.sender}\nTo: {mail.to}\nDate: {format_datetime(utcnow())}\n"
            f"Subject: {mail.subject}\n\n{mail.body.rstrip()}\n{SEPARATOR}\n"
        )
        log.info("mail to %s: %s (written to %s)", mail.to, mail.subject, self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The file holds live reset links: readable by the hub's user only. One writer at a
        # time in this process, and O_APPEND across processes, so mails never interleave.
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        with self._lock, os.fdopen(os.open(self.path, flags, 0o600), "a", encoding="utf-8") as f:
            f.write(text)


_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class SmtpMailer:
    """Sends through an SMTP server: implicit TLS on port 465, STARTTLS elsewhere when the
    server offers it, and a log-in when a user is set."""

    def __init__(
        self, host: str, port: int, sender: str, *, user: str = "", password: str = "",
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.timeout = user, password, timeout

    def send(self, mail: Mail) -> None:
        message = build_message(mail, self.sender)
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.port == smtplib.SMTP_SSL_PORT:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            encrypted = self.port == smtplib.SMTP_SSL_PORT
            if not encrypted:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                    encrypted = True
            if self.user:
                # A password, and the reset links after it, never cross a network in clear:
                # without TLS only a server on this machine may be logged in to.
                if not encrypted and self.host not in _LOCAL_HOSTS:
                    raise OSError(
                        f"{self.host}:{self.port} offers no TLS (STARTTLS); aihub will not "
                        "send the SMTP password in clear text."
                    )
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def mailer_from_settings(settings: Settings) -> Mailer:
    if settings.mailer == "smtp":  # Settings made sure SMTP_HOST is given
        host, port = parse_host(settings.smtp_host)
        return SmtpMailer(
            host, port, settings.mail_from, user=settings.smtp_user,
            password=settings.smtp_password,
        )
    return LogMailer(settings.data_dir / "mail.log", settings.mail_from)
