"""What the catalog's host and curator pages share: who may open them at all."""

from __future__ import annotations

from aihub.datasets import policy
from aihub.errors import Forbidden
from aihub.web.context import Page


def require_host(page: Page) -> None:
    """Refuse at once anyone who hosts no dataset: members of no organization. Which
    datasets a host may change, the services decide (403, or 404 for unseen ones)."""
    page.actor.require_user()
    if not (page.actor.is_curator or page.actor.org_ids):
        raise Forbidden(page.gettext("Only hosts (members of an organization) and curators "
                                     "have these pages."))


def require_curator(page: Page) -> None:
    page.actor.require_user()
    if not policy.can_curate(page.actor):
        raise Forbidden(page.gettext("Only curators have these pages."))
