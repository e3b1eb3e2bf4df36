"""An organization's public page: its name, its datasets and its challenges.

DCAT names an organization ``{base}/organizations/{slug}`` as the publisher of its
datasets (``interop.catalog_export.Links.organization``), so that address must answer.
The page reads the data functions of the catalog and challenge lists (``dataset_page``,
``list_challenges``), so it shows no more than those lists show the same reader: drafts
and unlisted challenges only to whom they are visible anyway.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from aihub.accounts.models import Organization
from aihub.challenges.schemas import challenge_summary
from aihub.challenges.services import list_challenges
from aihub.datasets import search
from aihub.datasets.schemas import dataset_page
from aihub.errors import NotFound
from aihub.web.context import PageDep, csrf_protect
from aihub.web.pages.catalog import tier_labels

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

SHOWN = 50  # datasets listed here; the catalog, filtered by the organization, has them all


@router.get("/organizations/{slug}")
def organization_page(slug: str, page: PageDep) -> HTMLResponse:
    with page.hub.db.reading() as session:
        org = session.scalar(select(Organization).where(Organization.slug == slug[:64]))
        if org is None:
            raise NotFound(page.gettext("No organization is called %(slug)s.",
                                        slug=repr(slug[:64])))
        query = search.SearchQuery(
            filters=(search.Filter("organization", (org.slug,)),), sort="title")
        datasets = dataset_page(session, page.actor, query, page=1, per_page=SHOWN)
        challenges = [challenge_summary(session, c, page.now)
                      for c in list_challenges(session, page.actor)
                      if c.organization_id == org.id]
        name = {"ko": org.name_ko, "en": org.name_en}
    return page.render("organizations/detail.html", {
        "org_slug": org.slug, "name": name, "datasets": datasets, "challenges": challenges,
        "tiers": tier_labels(page), "shown": SHOWN,
    })
