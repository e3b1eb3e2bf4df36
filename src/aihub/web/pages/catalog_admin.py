"""Hosts' catalog pages: their organizations' datasets, the new-dataset and edit forms.

Versions (files, uploads, submit) are in ``catalog_admin_versions``, the curators'
review in ``catalog_admin_review``, access requests in ``catalog_admin_access``; their
routers are included here, so the app includes one router for these pages. Every page asks the
services and data functions the API asks (``datasets.services``, ``datasets.schemas``);
the policy checks are theirs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload
from starlette.responses import Response

from aihub.accounts.models import Organization
from aihub.challenges.editing import field_errors
from aihub.datasets import services
from aihub.datasets.licences import LICENCES
from aihub.datasets.models import AccessTier, Dataset
from aihub.datasets.schemas import DatasetDetail, dataset_detail
from aihub.errors import Conflict, InvalidInput
from aihub.web.context import Page, PageDep, csrf_protect
from aihub.web.pages import catalog_admin_access, catalog_admin_review, catalog_admin_versions
from aihub.web.pages.catalog import tier_labels
from aihub.web.pages.catalog_admin_common import require_host
from aihub.web.pages.catalog_admin_messages import readers_words, say_fields
from aihub.web.templating import localized

router = APIRouter(include_in_schema=False,
                   dependencies=[Depends(csrf_protect), Depends(readers_words)])

FIELDS = ("organization", "slug", "title_ko", "title_en", "description_ko", "description_en",
          "tags", "licence", "licence_text", "access_tier", "source")
NEW_DEFAULTS = {"licence": "KOGL-1", "access_tier": AccessTier.OPEN.value}


def _my_datasets(session: Session, page: Page) -> list[DatasetDetail]:
    """The datasets of the actor's organizations (every one, for a curator), newest
    change first, each as the API shows it."""
    query = select(Dataset).options(joinedload(Dataset.organization),
                                    selectinload(Dataset.tags))
    if not page.actor.is_curator:
        query = query.where(Dataset.organization_id.in_(page.actor.org_ids))
    rows = session.scalars(query.order_by(Dataset.updated_at.desc(), Dataset.id.desc()))
    return [dataset_detail(session, row, page.actor) for row in rows.unique()]


def _organizations(session: Session, page: Page) -> list[tuple[str, str]]:
    query = select(Organization).order_by(Organization.slug)
    if not page.actor.is_curator:
        query = query.where(Organization.id.in_(page.actor.org_ids))
    return [(org.slug, f"{localized({'ko': org.name_ko, 'en': org.name_en}, page.locale)} "
                       f"({org.slug})") for org in session.scalars(query)]


def _licence_options(page: Page) -> list[tuple[str, str]]:
    options = []
    for licence in LICENCES.values():
        title = localized({"ko": licence.title_ko, "en": licence.title_en}, page.locale)
        options.append((licence.id, f"{licence.id} · {title}"))
    return options


def _tier_options(page: Page) -> list[tuple[str, str]]:
    _ = page.gettext
    return [("open", _("Open: anyone downloads")),
            ("registered", _("Registered: members who accept the licence")),
            ("approval", _("Approval: members whose request you accept"))]


@router.get("/host/datasets", response_class=HTMLResponse)
def datasets_index(page: PageDep) -> HTMLResponse:
    require_host(page)
    with page.hub.db.reading() as session:
        mine = _my_datasets(session, page)
    return page.render("catalog_admin/datasets.html",
                       {"datasets": mine, "tiers": tier_labels(page)})


def _form_context(page: Page, values: dict[str, str], errors: dict[str, str]
                  ) -> dict[str, Any]:
    with page.hub.db.reading() as session:
        organizations = _organizations(session, page)
    known = set(FIELDS)
    placed = {key if key in known else "": message for key, message in errors.items()}
    return {"values": values, "errors": placed, "organizations": organizations,
            "licences": _licence_options(page), "tiers": _tier_options(page)}


@router.get("/host/datasets/new", response_class=HTMLResponse)
def new_dataset_form(page: PageDep) -> HTMLResponse:
    require_host(page)
    return page.render("catalog_admin/dataset_form.html",
                       _form_context(page, dict(NEW_DEFAULTS), {}) | {"dataset": None})


async def _text_fields(request: Request) -> dict[str, str]:
    form = await request.form()  # read already by the CSRF check: no second parse
    return {name: value for name in FIELDS
            if isinstance(value := form.get(name, ""), str)}


def _tags(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


@router.post("/host/datasets/new")
async def create_dataset(request: Request, page: PageDep) -> Response:
    require_host(page)
    values = await _text_fields(request)
    try:
        with page.hub.db.transaction() as session:
            dataset = services.create_dataset(
                session, page.actor, organization=values.get("organization", ""),
                slug=values.get("slug", "").strip(), title_ko=values.get("title_ko", ""),
                title_en=values.get("title_en", ""),
                description_ko=values.get("description_ko", ""),
                description_en=values.get("description_en", ""),
                tags=_tags(values.get("tags", "")), licence_id=values.get("licence", ""),
                licence_text=values.get("licence_text", ""),
                access_tier=values.get("access_tier", ""), source=values.get("source", ""),
            )
            slug = dataset.slug
    except (InvalidInput, Conflict) as exc:
        context = _form_context(page, values, say_fields(page, _renamed(field_errors(exc))))
        return page.render("catalog_admin/dataset_form.html", context | {"dataset": None},
                           status=422)
    return page.redirect(f"/host/datasets/{slug}/versions/new?created=1")


def _renamed(errors: dict[str, str]) -> dict[str, str]:
    # The services name the licence field as the API does (licence_id internally).
    aliases = {"licence_id": "licence"}
    return {aliases.get(key, key): message for key, message in errors.items()}


def _stored_values(dataset: Dataset) -> dict[str, str]:
    return {
        "organization": dataset.organization.slug, "slug": dataset.slug,
        "title_ko": dataset.title_ko, "title_en": dataset.title_en,
        "description_ko": dataset.description_ko, "description_en": dataset.description_en,
        "tags": ", ".join(sorted(tag.name for tag in dataset.tags)),
        "licence": dataset.licence_id, "licence_text": dataset.licence_text,
        "access_tier": dataset.access_tier, "source": dataset.source,
    }


def _render_edit(page: Page, slug: str, values: dict[str, str] | None,
                 errors: dict[str, str], *, status: int = 200) -> HTMLResponse:
    with page.hub.db.reading() as session:
        dataset = services.get_editable_dataset(session, slug, page.actor)
        detail = dataset_detail(session, dataset, page.actor)
        values = values if values is not None else _stored_values(dataset)
    context = _form_context(page, values, errors) | {"dataset": detail}
    return page.render("catalog_admin/dataset_form.html", context, status=status)


@router.get("/host/datasets/{slug}/edit", response_class=HTMLResponse)
def edit_dataset_form(slug: str, page: PageDep) -> HTMLResponse:
    require_host(page)
    return _render_edit(page, slug, None, {})


@router.post("/host/datasets/{slug}/edit")
async def edit_dataset(slug: str, request: Request, page: PageDep) -> Response:
    require_host(page)
    values = await _text_fields(request)
    changes = services.DatasetChanges(
        title_ko=values.get("title_ko", ""), title_en=values.get("title_en", ""),
        description_ko=values.get("description_ko", ""),
        description_en=values.get("description_en", ""), tags=_tags(values.get("tags", "")),
        licence_id=values.get("licence", ""), licence_text=values.get("licence_text", ""),
        access_tier=values.get("access_tier", ""), source=values.get("source", ""),
    )
    try:
        with page.hub.db.transaction() as session:
            dataset = services.get_editable_dataset(session, slug, page.actor)
            services.update_dataset(session, dataset, page.actor, changes)
    except (InvalidInput, Conflict) as exc:
        return _render_edit(page, slug, values, say_fields(page, _renamed(field_errors(exc))),
                            status=422)
    return page.redirect("/host/datasets?saved=1")


router.include_router(catalog_admin_versions.router)
router.include_router(catalog_admin_review.router)
router.include_router(catalog_admin_access.router)
