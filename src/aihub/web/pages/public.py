"""Pages anyone may read: home, challenge list, challenge, leaderboard.

Each page calls the data function of its API route (``overview``, ``filtered_challenges``
over ``list_challenges``, ``challenge_detail``, ``board_view``), so it can show no more than
the API would tell the same reader. Page handlers add a ``Server-Timing`` header: the time
from routing to the rendered page, which ``bench/bench_pages.py`` reads.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from aihub.accounts import teams
from aihub.challenges import policy
from aihub.challenges.listing import Filters, MetricType, PhaseStatus, filtered_challenges
from aihub.challenges.schemas import challenge_detail
from aihub.challenges.services import get_challenge_to_submit, get_phase
from aihub.evaluation.metrics import get_metric
from aihub.leaderboards.cache import board_view, cache_of
from aihub.leaderboards.services import Split
from aihub.overview import overview
from aihub.web.board import board_context
from aihub.web.context import Page, PageDep, csrf_protect
from aihub.web.templating import _markdown as markdown_filter
from aihub.web.templating import localized

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


async def _started() -> float:
    # Declared before the page dependency, so the session lookup counts too.
    return time.perf_counter()


StartedDep = Annotated[float, Depends(_started)]


def _timed(response: HTMLResponse, started: float, *, board: str = "") -> HTMLResponse:
    value = f"page;dur={(time.perf_counter() - started) * 1000:.2f}"
    if board:
        value += f', board;desc="{board}"'
    response.headers["Server-Timing"] = value
    return response


@router.get("/")
def home(started: StartedDep, page: PageDep) -> HTMLResponse:
    with page.hub.db.reading() as session:
        data = overview(session, page.actor, page.now)
    return _timed(page.render("public/home.html", {"data": data}), started)


def _choice(raw: str | None, allowed: type[PhaseStatus] | type[MetricType]) -> Any:
    """``raw`` as a member of ``allowed``; None when absent; ValueError when unknown."""
    return allowed(raw) if raw else None


@router.get("/challenges")
def challenge_list(
    started: StartedDep, page: PageDep, status: str | None = None, metric: str | None = None,
    host: str | None = None,
) -> HTMLResponse:
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
    response = page.render(
        "public/challenges.html",
        {
            "listing": listing,
            "errors": errors,
            "values": {"status": status or "", "metric": metric or "", "host": host or ""},
            "metric_options": [("", _("Any kind"))]
            + [(kind.value, labels[kind]) for kind in listing.metric_types],
            "host_options": [("", _("Any host"))]
            + [(org.slug, localized(org.name, page.locale)) for org in listing.hosts],
        },
        status=422 if errors else 200,
    )
    return _timed(response, started)


@lru_cache(maxsize=256)
def _markdown(source: str) -> Markup:
    # The templates' own markdown filter, remembered: a challenge's description is read far
    # more often than it changes, and keyed by the text itself an edit is a new key.
    return markdown_filter(source)


def _challenge_tab(page: Page, slug: str, tab: str, started: float) -> HTMLResponse:
    with page.hub.db.reading() as session:
        challenge, _ = get_challenge_to_submit(session, slug, page.actor)
        detail = challenge_detail(session, challenge, page.actor, page.now)
    text = detail.rules if tab == "rules" else detail.description
    response = page.render("challenge/page.html", {
        "detail": detail,
        "tab": tab,
        "text": _markdown(localized(text, page.locale)) if tab != "data" else Markup(""),
        "can_download": policy.can_download_files(
            page.actor, challenge, accepted_rules=detail.accepted_rules),
    })
    return _timed(response, started)


@router.get("/challenges/{slug}")
def challenge_overview(slug: str, started: StartedDep, page: PageDep) -> HTMLResponse:
    return _challenge_tab(page, slug, "overview", started)


@router.get("/challenges/{slug}/data")
def challenge_data(slug: str, started: StartedDep, page: PageDep) -> HTMLResponse:
    return _challenge_tab(page, slug, "data", started)


@router.get("/challenges/{slug}/rules")
def challenge_rules(slug: str, started: StartedDep, page: PageDep) -> HTMLResponse:
    return _challenge_tab(page, slug, "rules", started)


@router.get("/challenges/{slug}/leaderboard")
def leaderboard_page(
    slug: str, started: StartedDep, page: PageDep, split: Split = Split.PUBLIC,
    phase: str | None = None, number: Annotated[str, Query(alias="page")] = "1",
) -> HTMLResponse:
    # A page number out of range, or not a number, shows the nearest page rather than an error.
    wanted = int(number) if number.isdigit() and len(number) < 9 else 1
    with page.hub.db.reading() as session:
        # The visibility check of get_visible_challenge, with the phases in the same statement.
        challenge, _ = get_challenge_to_submit(session, slug, page.actor)
        chosen = get_phase(challenge, phase, page.now)
        view = board_view(session, cache_of(page.hub.db), challenge, chosen, page.actor,
                          split=split, now=page.now, lang=page.locale)
        user = page.actor.user
        team = teams.team_of(session, challenge, user) if user else None
        context = board_context(page, view, team.id if team else None, wanted)
        context.update(
            title={"ko": challenge.title_ko, "en": challenge.title_en},
            phases=list(challenge.phases),
            is_host=policy.is_host(page.actor, challenge),
            can_see_private=policy.can_see_private(page.actor, challenge, chosen, page.now),
            metric=get_metric(challenge.metric),
        )
        response = page.render("challenge/leaderboard.html", context)
    return _timed(response, started, board=view.freshness.value)
