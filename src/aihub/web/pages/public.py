"""Pages anyone may read: home, challenge list, challenge, leaderboard.

Each page calls the data function of its API route (``overview``, ``filtered_challenges``
over ``list_challenges``, ``challenge_detail``, ``board_view``), so it can show no more than
the API would tell the same reader. Page handlers add a ``Server-Timing`` header: the time
from routing to the rendered page, which ``bench/bench_pages.py`` reads.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from aihub.accounts import teams
from aihub.challenges import policy
from aihub.challenges.listing import Filters, MetricType, PhaseStatus, filtered_challenges
from aihub.challenges.schemas import challenge_detail
from aihub.challenges.services import board_metric, get_challenge_to_submit, get_phase
from aihub.deps import HubDep
from aihub.hub import Hub
from aihub.leaderboards.cache import board_view, cache_of
from aihub.leaderboards.columns import public_columns, row_values
from aihub.leaderboards.services import Split
from aihub.overview import overview
from aihub.web.board import board_context
from aihub.web.context import Page, csrf_protect, get_page
from aihub.web.runs import run_facts
from aihub.web.templating import localized, render_markdown

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

# Pages drawn at once per process; the other requests wait on the event loop. Drawing a
# page is Python holding the GIL: with the default pool's 40 threads, 20 busy browsers'
# requests preempt one another and each costs more CPU (3.0 ms a leaderboard page alone,
# 5.4 ms among 20). A few threads keep the core busy while one waits for the database.
_DRAWING = 3
_LIMITER: list[anyio.CapacityLimiter] = []


def _drawing() -> anyio.CapacityLimiter:
    # Made on first use, inside the server's event loop.
    if not _LIMITER:
        _LIMITER.append(anyio.CapacityLimiter(_DRAWING))
    return _LIMITER[0]


async def _answer(request: Request, hub: Hub, draw: Callable[[Page], HTMLResponse]) -> HTMLResponse:
    """``draw`` the page in a thread of the drawing pool, the reader looked up there too,
    and say how long the server took, waiting for a thread included."""
    started = time.perf_counter()
    response = await anyio.to_thread.run_sync(
        lambda: draw(get_page(request, hub)), limiter=_drawing()
    )
    timing = f"page;dur={(time.perf_counter() - started) * 1000:.2f}"
    if "server-timing" in response.headers:
        timing += ", " + response.headers["server-timing"]
    response.headers["Server-Timing"] = timing
    return response


def _home(page: Page) -> HTMLResponse:
    with page.hub.db.reading() as session:
        data = overview(session, page.actor, page.now)
    return page.render("public/home.html", {"data": data})


@router.get("/")
async def home(request: Request, hub: HubDep) -> HTMLResponse:
    return await _answer(request, hub, _home)


def _choice(raw: str | None, allowed: type[PhaseStatus] | type[MetricType]) -> Any:
    """``raw`` as a member of ``allowed``; None when absent; ValueError when unknown."""
    return allowed(raw) if raw else None


def _challenge_list(page: Page, status: str, metric: str, host: str) -> HTMLResponse:
    _ = page.gettext
    errors: dict[str, str] = {}
    try:
        chosen_status = _choice(status, PhaseStatus)
    except ValueError:
        chosen_status, errors["status"] = None, _("Choose a status from the list.")
    try:
        chosen_metric = _choice(metric, MetricType)
    except ValueError:
        chosen_metric, errors["metric"] = None, _("Choose a kind of problem from the list.")
    filters = Filters(status=chosen_status, metric_type=chosen_metric, host=host or None)
    with page.hub.db.reading() as session:
        listing = filtered_challenges(session, page.actor, filters, page.now)
    if filters.host and filters.host not in {org.slug for org in listing.hosts}:
        errors["host"] = _("No listed challenge is hosted by %(host)s.", host=filters.host)
    labels = {MetricType.CLASSIFICATION: _("Classification"),
              MetricType.REGRESSION: _("Regression"), MetricType.RANKING: _("Ranking")}
    return page.render(
        "public/challenges.html",
        {
            "listing": listing,
            "errors": errors,
            "values": {"status": status, "metric": metric, "host": host},
            "metric_options": [("", _("Any kind"))]
            + [(kind.value, labels[kind]) for kind in listing.metric_types],
            "host_options": [("", _("Any host"))]
            + [(org.slug, localized(org.name, page.locale)) for org in listing.hosts],
        },
        status=422 if errors else 200,
    )


@router.get("/challenges")
async def challenge_list(
    request: Request, hub: HubDep, status: str = "", metric: str = "", host: str = ""
) -> HTMLResponse:
    return await _answer(
        request, hub, functools.partial(_challenge_list, status=status, metric=metric, host=host)
    )


@lru_cache(maxsize=256)
def _markdown(source: str) -> Markup:
    # The templates' own markdown filter, remembered: a challenge's description is read far
    # more often than it changes, and keyed by the text itself an edit is a new key.
    return render_markdown(source)


def _challenge_tab(page: Page, slug: str, tab: str) -> HTMLResponse:
    with page.hub.db.reading() as session:
        # The visibility check of get_visible_challenge, with the phases in the same statement.
        challenge, _ = get_challenge_to_submit(session, slug, page.actor)
        detail = challenge_detail(session, challenge, page.actor, page.now)
        runs = run_facts(challenge)
    text = detail.rules if tab == "rules" else detail.description
    return page.render("challenge/page.html", {
        "detail": detail,
        "tab": tab,
        "text": _markdown(localized(text, page.locale)) if tab != "data" else Markup(""),
        "can_download": policy.can_download_files(
            page.actor, challenge, accepted_rules=detail.accepted_rules),
        "runs": runs,
    })


@router.get("/challenges/{slug}")
async def challenge_overview(slug: str, request: Request, hub: HubDep) -> HTMLResponse:
    return await _answer(request, hub, functools.partial(_challenge_tab, slug=slug,
                                                         tab="overview"))


@router.get("/challenges/{slug}/data")
async def challenge_data(slug: str, request: Request, hub: HubDep) -> HTMLResponse:
    return await _answer(request, hub, functools.partial(_challenge_tab, slug=slug, tab="data"))


@router.get("/challenges/{slug}/rules")
async def challenge_rules(slug: str, request: Request, hub: HubDep) -> HTMLResponse:
    return await _answer(request, hub, functools.partial(_challenge_tab, slug=slug, tab="rules"))


def _leaderboard(page: Page, slug: str, split: Split, phase: str | None,
                 number: int) -> HTMLResponse:
    with page.hub.db.reading() as session:
        challenge, _ = get_challenge_to_submit(session, slug, page.actor)
        chosen = get_phase(challenge, phase, page.now)
        view = board_view(session, cache_of(page.hub.db), challenge, chosen, page.actor,
                          split=split, now=page.now, lang=page.locale)
        user = page.actor.user
        team = teams.team_of(session, challenge, user) if user else None
        # The leaderboard API's columns and values (``leaderboards.routes``), read here
        # only for the rows of the page drawn.
        columns, primary = public_columns(challenge)
        context = board_context(
            page, view, team.id if team else None, number, columns,
            functools.partial(row_values, session, chosen, columns),
        )
        context.update(
            columns=columns, primary=primary,
            title={"ko": challenge.title_ko, "en": challenge.title_en},
            phases=list(challenge.phases),
            is_host=policy.is_host(page.actor, challenge),
            can_see_private=policy.can_see_private(page.actor, challenge, chosen, page.now),
            metric=board_metric(challenge),
        )
        response = page.render("challenge/leaderboard.html", context)
    response.headers["Server-Timing"] = f'board;desc="{view.freshness.value}"'
    return response


@router.get("/challenges/{slug}/leaderboard")
async def leaderboard_page(
    slug: str, request: Request, hub: HubDep, split: Split = Split.PUBLIC,
    phase: str | None = None, number: Annotated[str, Query(alias="page")] = "1",
) -> HTMLResponse:
    # A page number out of range, or not a number, shows the nearest page rather than an error.
    wanted = int(number) if number.isascii() and number.isdecimal() and len(number) < 9 else 1
    return await _answer(request, hub, functools.partial(
        _leaderboard, slug=slug, split=split, phase=phase, number=wanted))
