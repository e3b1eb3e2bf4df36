"""What every page route gets: who asks, in which language, and how to answer in HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from aihub.accounts.actor import VISITOR, Actor
from aihub.accounts.web_sessions import actor_for_session
from aihub.challenges import policy as challenge_policy
from aihub.db import utcnow
from aihub.deps import HubDep
from aihub.hub import Hub
from aihub.web import security
from aihub.web.i18n import LANG_COOKIE, LOCALES, negotiate, translations
from aihub.web.templating import environment

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Page:
    request: Request
    hub: Hub
    actor: Actor
    locale: str
    session_token: str | None
    browser_id: str
    now: datetime = field(default_factory=utcnow)
    new_browser: bool = False

    @property
    def csrf(self) -> str:
        # The raw cookie, valid or not: the check compares against what the browser sends.
        return security.csrf_token(
            security.secret_key(self.hub.settings), self.browser_id,
            self.request.cookies.get(security.SESSION_COOKIE),
        )

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    def gettext(self, message: str, **values: Any) -> str:
        text = translations(self.locale).gettext(message)
        return text % values if values else text

    def login_url(self) -> str:
        path = self.request.url.path
        if self.request.url.query:
            path += "?" + self.request.url.query
        return "/login?next=" + quote(path, safe="/")

    def render(
        self, template: str, context: dict[str, Any] | None = None, *, status: int = 200
    ) -> HTMLResponse:
        env = environment(self.locale, self.hub.settings.timezone)
        html = env.get_template(template).render(
            page=self, actor=self.actor, user=self.actor.user, csrf=self.csrf,
            # Which role's pages the menu offers, as the policies decide.
            may_host=challenge_policy.may_host(self.actor),
            may_curate=challenge_policy.can_approve(self.actor),
            other_locale="en" if self.locale == "ko" else "ko", **(context or {}),
        )
        response = HTMLResponse(html, status_code=status)
        self.finish(response)
        return response

    def redirect(self, url: str, *, status: int = 303) -> RedirectResponse:
        response = RedirectResponse(url, status_code=status)
        self.finish(response)
        return response

    def finish(self, response: Response) -> None:
        """Set the browser cookie the CSRF tokens are tied to, the first time only."""
        if self.new_browser:
            security.set_cookie(
                response, self.hub.settings, security.CSRF_COOKIE, self.browser_id,
                max_age=365 * 24 * 3600,
            )
        # Pages differ by cookie and language: no shared cache may keep them.
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Vary", "Cookie, Accept-Language")


def locale_of(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return chosen
    return negotiate(request.headers.get("accept-language"))


def get_page(request: Request, hub: HubDep) -> Page:
    token = request.cookies.get(security.SESSION_COOKIE)
    actor: Actor | None = None
    now = utcnow()
    if token:
        with hub.db.reading() as session:
            actor = actor_for_session(session, token, now=now)
    browser = request.cookies.get(security.CSRF_COOKIE)
    return Page(
        request=request, hub=hub, actor=actor or VISITOR, locale=locale_of(request),
        session_token=token if actor else None, browser_id=browser or security.new_browser_id(),
        now=now, new_browser=browser is None,
    )


PageDep = Annotated[Page, Depends(get_page)]


async def csrf_protect(request: Request, hub: HubDep) -> None:
    """A router dependency: unsafe requests must carry the page's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get(security.CSRF_HEADER)
    form = None
    if sent is None:
        form = await request.form()
        value = form.get(security.CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    try:
        security.check_csrf(security.secret_key(hub.settings), request, sent)
    except security.CsrfFailed:
        if form is not None:
            await form.close()  # a refused upload's spooled files go now, not at exit
        raise
