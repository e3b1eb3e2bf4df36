"""A host creates a challenge through the form, a curator approves it, a member submits."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from livebrowser import (
    LiveHub,
    PageMaker,
    join_on_the_rules_tab,
    log_in,
    path_of,
    sign_up,
    text,
)

from factories import write_binary_bundle

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SLUG = "browser-made-challenge"
HUB_TIME = ZoneInfo("Asia/Seoul")  # the demo hub's default time zone
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what a datetime-local input holds


def fill_new_challenge_form(page: Page, bundle: Path) -> None:
    form = page.locator('main form[action="/host/new"]')

    form.locator('[name="slug"]').fill(SLUG)
    form.locator('[name="title.ko"]').fill("브라우저로 만든 대회")
    form.locator('[name="title.en"]').fill("A challenge made in the browser")
    form.locator('[name="description.ko"]').fill("# 설명\n\n브라우저 테스트가 만든 대회입니다.")
    form.locator('[name="rules.ko"]').fill("1. 규칙을 지킵니다.")
    form.locator('[name="evaluation.metric"]').select_option("roc_auc")
    form.locator('[name="evaluation.id_column"]').fill("id")
    form.locator('[name="evaluation.target"]').fill("target")
    # Choosing the solution has it checked at once (htmx), before the form is sent.
    form.locator('[name="evaluation.solution"]').set_input_files(bundle / "solution.csv")
    page.locator("#solution-check [role=status]").wait_for()
    assert "solution.csv" in page.locator("#solution-check").inner_text()
    form.locator('[name="files"]').set_input_files([bundle / "train.csv", bundle / "test.csv"])
    form.locator('[name="sample_submission"]').set_input_files(bundle / "sample_submission.csv")
    now = datetime.now(HUB_TIME)
    form.locator('[name="phases.0.start"]').fill((now - timedelta(days=1)).strftime(LOCAL_MINUTE))
    form.locator('[name="phases.0.end"]').fill((now + timedelta(days=30)).strftime(LOCAL_MINUTE))


def test_a_host_creates_a_challenge_a_curator_approves_it_and_a_member_submits(
    browse: PageMaker, live_server: LiveHub, tmp_path: Path
) -> None:
    bundle = write_binary_bundle(tmp_path, slug=SLUG, organization="unused", rows=120)

    host = browse("ko")
    log_in(host, "host", live_server.passwords["host"])
    host.get_by_role("navigation", name=text("ko", "Main")).get_by_role(
        "link", name=text("ko", "Host"), exact=True
    ).click()
    host.locator('main a[href="/host/new"]').first.click()
    host.wait_for_url("**/host/new")
    fill_new_challenge_form(host, bundle)
    with host.expect_navigation():
        host.locator('main form[action="/host/new"] > button[type="submit"]').click()
    assert path_of(host) == f"/host/challenges/{SLUG}?created=1", (
        host.locator("main .field-error").all_inner_texts()
    )
    assert host.get_by_text(text("ko", "Awaiting approval")).first.is_visible()

    # Until a curator approves it, members cannot find it.
    member = browse("ko")
    sign_up(member, "early-bird")
    response = member.goto(f"/challenges/{SLUG}")
    assert response is not None
    assert response.status == 404
    member.goto("/challenges")
    assert member.locator(f'main a[href="/challenges/{SLUG}"]').count() == 0

    curator = browse("ko")
    log_in(curator, "curator", live_server.passwords["curator"])
    curator.goto("/curator")
    approve = curator.get_by_role("button", name=text("ko", "Approve %(slug)s", slug=SLUG))
    with curator.expect_navigation():
        approve.click()
    assert curator.get_by_role("status").filter(has_text=SLUG).is_visible()

    # Now the member finds it, joins and submits through the file input.
    member.goto("/challenges")
    member.locator(f'main a[href="/challenges/{SLUG}"]').first.click()
    member.wait_for_url(f"**/challenges/{SLUG}")
    join_on_the_rules_tab(member, "ko", SLUG)
    # The hidden solution is not among the files, and its address answers nothing.
    assert member.locator('main a[href$="/files/solution.csv"]').count() == 0
    hidden = member.goto(f"/challenges/{SLUG}/files/solution.csv")
    assert hidden is not None
    assert hidden.status == 404
    member.goto(f"/challenges/{SLUG}/submit")
    member.locator("#f-file").set_input_files(bundle / "baseline.csv")
    member.locator('main form[data-upload] button[type="submit"]').click()
    status = member.locator("#upload-result .submission-status")
    status.get_by_text(text("ko", "Public score")).wait_for(timeout=30_000)
    assert 0.5 < float(status.locator("strong").first.inner_text()) <= 1.0

    # The host sees the member's submission on the manage page.
    host.goto(f"/host/challenges/{SLUG}")
    assert "early-bird" in host.locator("main").inner_text()
