"""The catalog's public pages: search with facets, a dataset's page, its downloads, and the
forms a member uses to get its files (accept the licence, request access).

Each page reads the data functions of the catalog API (``dataset_page``,
``dataset_detail``, ``version_detail``, ``access_request_out``), so it shows no more than
the API would tell the same reader; the forms call the API's services. Data requests are
in ``catalog_requests``, included here.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePosixPath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.models import Organization
from aihub.datasets import access, policy, search, services, versions
from aihub.datasets.downloads import blob_response
from aihub.datasets.licences import LICENCES, get_licence
from aihub.datasets.models import Dataset, DatasetVersion
from aihub.datasets.schemas import (
    AccessRequestOut,
    DatasetDetail,
    VersionDetail,
    access_request_out,
    dataset_detail,
    dataset_page,
    version_detail,
)
from aihub.datasets.search_index import DatasetSearch
from aihub.datasets.status import VersionStatus
from aihub.errors import AihubError, FieldErrors, Forbidden, NotAuthenticated, NotFound
from aihub.web.context import Page, PageDep, csrf_protect
from aihub.web.pages import catalog_requests
from aihub.web.pages.catalog_admin_messages import readers_words, say_error, say_fields
from aihub.web.templating import localized

router = APIRouter(include_in_schema=False,
                   dependencies=[Depends(csrf_protect), Depends(readers_words)])
router.include_router(catalog_requests.router)

PER_PAGE = 20
# Form fields have no max_length: the services check every length and the form comes back
# saying which field is too long (FastAPI's check would answer a bare error page instead).
MAX_QUERY = 200  # the search box's own limit, so a pasted essay is a message, not a 422
FACETS = ("organization", "licence", "tier", "format", "tag")
# Repeat a filter for any of several values: ?tag=air&tag=bus.
Values = Annotated[list[str], Query(max_length=search.MAX_FILTER_VALUES)]


# The catalog -------------------------------------------------------------------------------

def _page_number(raw: str) -> int:
    # A page number out of range, or not a number, shows the first page rather than an error.
    return int(raw) if raw.isascii() and raw.isdecimal() and 0 < len(raw) < 6 and int(raw) else 1


def _facet_labels(page: Page, session: Session, slugs: list[str]) -> dict[str, dict[str, str]]:
    """What each facet value reads as: organizations by name, licences by title, tiers in
    words; formats and tags as they are."""
    names = {slug: localized({"ko": ko, "en": en}, page.locale) for slug, ko, en in
             session.execute(select(Organization.slug, Organization.name_ko,
                                    Organization.name_en).where(Organization.slug.in_(slugs)))}
    return {
        "organization": names,
        "licence": {key: localized({"ko": lic.title_ko, "en": lic.title_en}, page.locale)
                    for key, lic in LICENCES.items()},
        "tier": tier_labels(page),
    }


def _summaries(session: Session, slugs: list[str], locale: str
               ) -> dict[str, tuple[str, list[str]]]:
    """Each listed dataset's summary (its description's first paragraph, in the reader's
    language) and file formats: public facts of the datasets the search already chose,
    which the API gives in the dataset's detail and the format facet."""
    rows = session.execute(
        select(Dataset.slug, Dataset.description_ko, Dataset.description_en,
               DatasetSearch.formats)
        .join(DatasetSearch, DatasetSearch.dataset_id == Dataset.id)
        .where(Dataset.slug.in_(slugs)))
    out = {}
    for slug, ko, en, formats in rows:
        first = localized({"ko": ko, "en": en}, locale).strip().split("\n\n", 1)[0]
        text = re.sub(r"[#*_`>\[\]]+", "", first).strip()
        out[slug] = (text[:200] + ("…" if len(text) > 200 else ""), formats.split())
    return out


def tier_labels(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"open": _("Open data"), "registered": _("Registered members"),
            "approval": _("By approval")}


def _catalog(page: Page, q: str, chosen: dict[str, list[str]], sort: str,
             number: int) -> HTMLResponse:
    _ = page.gettext
    errors: dict[str, str] = {}
    if len(q) > MAX_QUERY:
        errors["q"] = _("A search has at most %(max)s characters; shorten it.", max=MAX_QUERY)
    if sort not in ("relevance", "modified", "title"):
        errors["sort"] = _("Choose an order from the list.")
    filters = tuple(search.Filter(name, tuple(values))  # type: ignore[arg-type]
                    for name, values in chosen.items() if values)
    query = search.SearchQuery(text="" if "q" in errors else q, filters=filters,
                               sort=sort if "sort" not in errors else "relevance")  # type: ignore[arg-type]
    with page.hub.db.reading() as session:
        try:
            result = dataset_page(session, page.actor, query, page=number, per_page=PER_PAGE)
        except FieldErrors as exc:
            errors.update({name if name in ("q", "sort") else "form": message
                           for name, message in exc.fields.items()})
            result = dataset_page(session, page.actor, search.SearchQuery(),
                                  page=1, per_page=PER_PAGE)
        labels = _facet_labels(page, session,
                               [f.value for f in result.facets.get("organization", [])])
        extras = _summaries(session, [item.slug for item in result.items], page.locale)
    pages = max(1, -(-result.count // PER_PAGE))
    return page.render("catalog/list.html", {
        "result": result, "extras": extras, "q": q, "chosen": chosen, "sort": sort,
        "errors": errors, "labels": labels, "tiers": tier_labels(page), "pages": pages,
        "number": min(number, pages), "query_string": _query_string(q, chosen, sort),
    }, status=422 if errors else 200)


def _query_string(q: str, chosen: dict[str, list[str]], sort: str) -> list[tuple[str, str]]:
    """The search's parameters, for the pagination links (the page number is added)."""
    pairs = [("q", q)] if q else []
    pairs += [(name, value) for name, values in chosen.items() for value in values]
    if sort != "relevance":
        pairs.append(("sort", sort))
    return pairs


@router.get("/datasets")
def catalog(
    page: PageDep, q: Annotated[str, Query(max_length=10_000)] = "",
    organization: Values = [], licence: Values = [], tier: Values = [],  # noqa: B006
    formats: Annotated[list[str], Query(alias="format", max_length=100)] = [],  # noqa: B006
    tag: Values = [], sort: str = "relevance",  # noqa: B006
    number: Annotated[str, Query(alias="page", max_length=20)] = "1",
) -> HTMLResponse:
    """The catalog: a GET form, so it works without JavaScript; htmx swaps the results."""
    chosen = {"organization": organization, "licence": licence, "tier": tier,
              "format": formats, "tag": tag}
    chosen = {name: [v[:200] for v in values if v][:search.MAX_FILTER_VALUES]
              for name, values in chosen.items()}
    return _catalog(page, q.strip(), chosen, sort, _page_number(number))


# A dataset ---------------------------------------------------------------------------------

def _chosen_version(session: Session, dataset: Dataset, detail: DatasetDetail,
                    ref: str, page: Page) -> DatasetVersion | None:
    """``?version=`` if given (404 if not the reader's to see), else the latest published,
    else (for its hosts) the newest version of any state."""
    if ref:
        return versions.get_version(session, dataset, ref[:100], page.actor)
    label = detail.latest_version.label if detail.latest_version else (
        detail.versions[0].label if detail.versions else None)
    return versions.get_version(session, dataset, label, page.actor) if label else None


def citation(detail: DatasetDetail, version: VersionDetail | None, locale: str,
             url: str) -> dict[str, str]:
    """How to cite the dataset: a sentence and a BibTeX entry (title, organization, year,
    version label and rev, address)."""
    title = localized(detail.title, locale)
    org = localized(detail.organization.name, locale)
    when = (version.published_at if version and version.published_at else detail.created_at)
    year = str(when.year)
    parts = [f"{org} ({year}). {title}."]
    if version:
        parts.append(f"Version {version.label}" + (f" (rev {version.rev[:12]})."
                                                   if version.rev else "."))
    parts.append(url)
    key = re.sub(r"[^a-z0-9]+", "_", f"{detail.slug}_{version.label if version else year}")

    def braced(value: str) -> str:
        return value.replace("{", "(").replace("}", ")")

    fields = [("title", braced(title)), ("author", "{" + braced(org) + "}"), ("year", year)]
    if version:
        fields.append(("version", version.label))
        if version.rev:
            fields.append(("note", f"rev {version.rev}"))
    fields += [("url", url), ("publisher", braced(org))]
    bibtex = f"@misc{{{key},\n" + ",\n".join(f"  {name} = {{{value}}}"
                                             for name, value in fields) + "\n}"
    return {"text": " ".join(parts), "bibtex": bibtex}


def _my_request(session: Session, page: Page, dataset: Dataset) -> AccessRequestOut | None:
    """The reader's latest access request for the dataset (the API's 'mine' rows)."""
    if page.actor.user is None:
        return None
    for request, slug in access.my_access_requests(session, page.actor):
        if request.dataset_id == dataset.id:
            return access_request_out(session, request, slug, page.now)
    return None


def dataset_context(page: Page, slug: str, ref: str) -> dict[str, Any]:
    with page.hub.db.reading() as session:
        dataset = services.get_visible_dataset(session, slug[:100], page.actor)
        detail = dataset_detail(session, dataset, page.actor)
        chosen = _chosen_version(session, dataset, detail, ref, page)
        version = version_detail(session, dataset, chosen, page.actor) if chosen else None
        my_request = _my_request(session, page, dataset)
    licence = get_licence(detail.licence.id)
    url = str(page.request.base_url).rstrip("/") + f"/datasets/{detail.slug}"
    if version:
        url += f"?version={version.label}"
    return {
        "d": detail, "v": version, "my_request": my_request, "tiers": tier_labels(page),
        "kogl": licence.id.startswith("KOGL-"), "cite": citation(detail, version, page.locale,
                                                                 url),
        "withdrawn": VersionStatus.WITHDRAWN.value, "errors": {}, "values": {},
        "may_request": policy.can_request(page.actor),
    }


def _render_dataset(page: Page, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response = page.render("catalog/dataset.html", context, status=status)
    slug = context["d"].slug
    # The machine-readable descriptions, for crawlers that read headers (RFC 8288) as well
    # as the page's links.
    response.headers["Link"] = (f'</api/v1/datasets/{slug}/croissant.json>; rel="alternate"; '
                                'type="application/ld+json"')
    return response


@router.get("/datasets/{slug}")
def dataset_view(page: PageDep, slug: str,
                 version: Annotated[str, Query(max_length=100)] = "") -> HTMLResponse:
    return _render_dataset(page, dataset_context(page, slug, version))


@router.get("/datasets/{slug}/versions/{ref}/manifest", response_model=None)
def manifest_page(slug: str, ref: str, page: PageDep) -> Response:
    """DCAT names a version of many files by this address (its manifest, as one
    distribution): the version's files on the dataset's page, to whom may see them."""
    with page.hub.db.reading() as session:
        dataset = services.get_visible_dataset(session, slug[:100], page.actor)
        version = versions.get_version(session, dataset, ref[:100], page.actor)
        label = version.label
    return page.redirect(f"/datasets/{dataset.slug}?version={quote(label)}#files")


@router.get("/datasets/{slug}/versions/{ref}/files/{path:path}", response_model=None)
def download(slug: str, ref: str, path: str, page: PageDep) -> Response:
    """A file, to the same people as the API's download, logged the same way; the page's
    own session instead of a bearer token."""
    with page.hub.db.reading() as session:
        dataset = services.get_visible_dataset(session, slug, page.actor)
        try:
            grant = access.file_for_download(session, page.actor, dataset, ref, path)
        except NotAuthenticated:
            raise NotAuthenticated(page.gettext("Log in to download this dataset.")) from None
        except Forbidden:
            raise Forbidden(page.gettext(
                "Accept the licence or ask for access on the dataset's page first.")) from None
    if grant.log:
        with page.hub.db.transaction() as session:
            access.record_download(session, grant, page.actor)
    response = blob_response(page.request, page.hub.storage, grant.file.sha256,
                             filename=PurePosixPath(grant.file.path).name,
                             media_type=grant.file.media_type,
                             headers={"X-Dataset-Rev": grant.version.rev or ""})
    page.finish(response)
    return response


# Getting the files: licence and access requests --------------------------------------------

def _form_failed(page: Page, slug: str, exc: AihubError, values: dict[str, Any],
                 errors: dict[str, str] | None = None) -> HTMLResponse:
    context = dataset_context(page, slug, "")
    fields = (say_fields(page, exc.fields) if isinstance(exc, FieldErrors)
              else {"form": say_error(page, exc)})
    context.update(errors={**(errors or {}), **fields}, values=values)
    return _render_dataset(page, context, status=exc.status_code)


@router.post("/datasets/{slug}/licence", response_model=None)
def accept_licence(slug: str, page: PageDep, accept: Annotated[str, Form()] = "",
                   purpose: Annotated[str, Form()] = "") -> Response:
    """Accept the licence (registered tier), then come back to the dataset's files."""
    page.actor.require_user()
    try:
        if not accept:
            raise FieldErrors({"accept": page.gettext(
                "Tick the box to accept the licence.")})
        with page.hub.db.transaction() as session:
            dataset = services.get_visible_dataset(session, slug, page.actor)
            access.accept_licence(session, dataset, page.actor, purpose=purpose)
    except (NotFound, NotAuthenticated):
        raise
    except AihubError as exc:
        return _form_failed(page, slug, exc, {"purpose": purpose})
    return page.redirect(f"/datasets/{slug}#files")


def _date(raw: str, name: str, errors: dict[str, str], page: Page) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = page.gettext("Give a date as YYYY-MM-DD.")
        return None


@router.post("/datasets/{slug}/access-requests", response_model=None)
def request_access(
    slug: str, page: PageDep, organization: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form()] = "",
    ends_on: Annotated[str, Form()] = "",
    commercial_use: Annotated[str, Form()] = "",
) -> Response:
    """Ask for an approval-tier dataset; the page then shows the request and its due date."""
    page.actor.require_user()
    values = {"organization": organization, "purpose": purpose, "starts_on": starts_on,
              "ends_on": ends_on, "commercial_use": bool(commercial_use)}
    errors: dict[str, str] = {}
    starts, ends = (_date(starts_on, "starts_on", errors, page),
                    _date(ends_on, "ends_on", errors, page))
    try:
        if starts is None or ends is None:
            raise FieldErrors(errors)
        with page.hub.db.transaction() as session:
            dataset = services.get_visible_dataset(session, slug, page.actor)
            access.request_access(
                session, dataset, page.actor, purpose=purpose, starts_on=starts, ends_on=ends,
                commercial_use=bool(commercial_use), organization=organization,
                due_days=page.hub.settings.access_request_days)
    except (NotFound, NotAuthenticated):
        raise
    except AihubError as exc:
        return _form_failed(page, slug, exc, values)
    return page.redirect(f"/datasets/{slug}#access")
