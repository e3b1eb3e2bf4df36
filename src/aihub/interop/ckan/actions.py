"""CKAN's read actions: status, packages, resources, organizations, tags, licences, help.

``package_search`` is in ``search_action``; the write actions in ``writes``. Every action
answers only what the actor may see (``datasets.policy``); unknown parameters are
ignored, as CKAN's ``*_show`` and ``*_list`` ignore them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aihub import __version__
from aihub.accounts.models import Membership, Organization
from aihub.datasets import policy
from aihub.datasets.licences import license_list as licences
from aihub.datasets.models import Dataset, DatasetFile, DatasetTag, DatasetVersion
from aihub.interop.ckan import packages, params
from aihub.interop.ckan.errors import CkanNotFoundError, invalid
from aihub.interop.ckan.mapping import (
    organization_dict,
    parse_resource_id,
    resource_dict,
    tag_dict,
)
from aihub.interop.ckan.registry import ACTIONS, Call, action

CKAN_VERSION = "2.11.0"  # the API level emulated
LIST_MAX = 1_000  # ckan.group_and_organization_list_max
ALL_FIELDS_MAX = 25  # ckan.group_and_organization_list_all_fields_max


@action(read_only=True)
def status_show(call: Call) -> dict[str, Any]:
    """The site's description and the CKAN API level it answers (2.11); a ping."""
    return {
        "site_title": "aihub", "site_description": "A city's AI hub: open data and AI "
        "challenges.", "site_url": call.base, "error_emails_to": None,
        "locale_default": "ko", "locales_offered": ["ko", "en"],
        "extensions": ["aihub"], "ckan_version": CKAN_VERSION, "aihub_version": __version__,
    }


@action(read_only=True)
def package_list(call: Call) -> list[str]:
    """Names of the published datasets, sorted; ``limit``, ``offset``; with
    ``include_private``, also the unpublished ones the caller hosts."""
    limit = call.params.get("limit")
    with call.hub.db.reading() as session:
        return packages.names(
            session, call.actor, include_private=params.boolean(call.params, "include_private"),
            limit=None if limit in (None, "") else params.integer(call.params, "limit", 0),
            offset=params.integer(call.params, "offset", 0))


@action(read_only=True)
def package_show(call: Call) -> dict[str, Any]:
    """One dataset by ``id`` or ``name`` (both its slug); its resources are the files of
    its latest published version."""
    name = params.required(call.params, "id", limit=200)
    with call.hub.db.reading() as session:
        dataset = packages.visible_dataset(session, call.actor, name)
        return packages.package(session, call.base, dataset)


@action(read_only=True)
def resource_show(call: Call) -> dict[str, Any]:
    """One file by its resource ``id``, if the caller may see its version."""
    given = params.required(call.params, "id", limit=200)
    file_id = parse_resource_id(given)
    with call.hub.db.reading() as session:
        item = session.get(DatasetFile, file_id) if file_id else None
        version = session.get(DatasetVersion, item.version_id) if item else None
        dataset = version.dataset if version else None
        # The same answer whether the file does not exist or may not be seen.
        if item is None or version is None or dataset is None or \
                not policy.can_view_version(call.actor, dataset, version):
            raise CkanNotFoundError(f"no resource has the id {given[:100]!r}.")
        position = [f.id for f in version.files].index(item.id)
        return resource_dict(call.base, dataset, version, item, position)


def _organizations(session: Session, call: Call, wanted: list[str]) -> list[Organization]:
    sort = params.text(call.params, "sort", "name asc", limit=50).strip().lower()
    field, _, direction = sort.partition(" ")
    columns = {"name": Organization.slug, "title": Organization.name_ko}
    if field not in (*columns, "package_count") or direction not in ("", "asc", "desc"):
        raise invalid("sort", "Use name, title or package_count, then asc or desc.")
    statement = select(Organization)
    if wanted:
        statement = statement.where(Organization.slug.in_(wanted))
    orgs = list(session.scalars(statement.order_by(columns.get(field, Organization.slug))))
    if field == "package_count":
        counts = packages.count_by_organization(session, call.actor, [o.id for o in orgs])
        orgs.sort(key=lambda o: counts.get(o.id, 0))
    return orgs[::-1] if direction == "desc" else orgs


@action(read_only=True)
def organization_list(call: Call) -> list[Any]:
    """Organization names, or with ``all_fields`` their dicts (at most 25 per call, as
    CKAN); ``limit``, ``offset``, ``sort`` (name, title, package_count; asc or desc),
    ``organizations`` (names to keep)."""
    all_fields = params.boolean(call.params, "all_fields")
    most = ALL_FIELDS_MAX if all_fields else LIST_MAX
    limit = min(params.integer(call.params, "limit", most), most)
    offset = params.integer(call.params, "offset", 0)
    wanted = params.string_list(call.params, "organizations")
    with call.hub.db.reading() as session:
        orgs = _organizations(session, call, wanted)[offset:offset + limit]
        if not all_fields:
            return [org.slug for org in orgs]
        counts = packages.count_by_organization(session, call.actor, [o.id for o in orgs]) \
            if params.boolean(call.params, "include_dataset_count", True) else None
        return [organization_dict(o, counts.get(o.id, 0) if counts is not None else None)
                for o in orgs]


@action(read_only=True)
def organization_show(call: Call) -> dict[str, Any]:
    """One organization by ``id`` or ``name`` (its slug); with ``include_datasets``, its
    published datasets (at most 1,000)."""
    name = params.required(call.params, "id", limit=200)
    with call.hub.db.reading() as session:
        org = session.scalar(select(Organization).where(Organization.slug == name))
        if org is None:
            raise CkanNotFoundError(f"no organization has the id or name {name[:100]!r}; "
                               "organization_list lists them.")
        count = packages.count_by_organization(session, call.actor, [org.id]).get(org.id, 0)
        out = organization_dict(org, count)
        out["users"] = []  # members are not published
        if params.boolean(call.params, "include_datasets"):
            ids = session.scalars(select(Dataset.id).where(
                Dataset.organization_id == org.id, packages.listed(call.actor, False))
                .order_by(Dataset.slug).limit(LIST_MAX))
            out["packages"] = packages.packages(session, call.base, list(ids))
        return out


@action(read_only=True)
def organization_list_for_user(call: Call) -> list[dict[str, Any]]:
    """The organizations the caller belongs to (none for a visitor)."""
    if call.actor.user is None:
        return []
    with call.hub.db.reading() as session:
        orgs = session.scalars(select(Organization).join(
            Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == call.actor.user.id).order_by(Organization.slug))
        return [{**organization_dict(org), "capacity": "editor"} for org in orgs]


@action(read_only=True)
def tag_list(call: Call) -> list[Any]:
    """Tags of published datasets, sorted; ``query`` keeps those containing it;
    ``all_fields`` gives tag dicts."""
    query = params.text(call.params, "query", limit=100).strip()
    statement = select(DatasetTag.name).join(Dataset, Dataset.id == DatasetTag.dataset_id) \
        .where(Dataset.published_at.is_not(None)).group_by(DatasetTag.name)
    if query:
        statement = statement.where(func.lower(DatasetTag.name).contains(query.lower(),
                                                                         autoescape=True))
    with call.hub.db.reading() as session:
        found = list(session.scalars(statement.order_by(DatasetTag.name).limit(LIST_MAX)))
    return [tag_dict(t) for t in found] if params.boolean(call.params, "all_fields") else found


@action(read_only=True)
def group_list(call: Call) -> list[Any]:
    """Always empty: aihub has no groups (thematic collections); use tags."""
    return []


@action(read_only=True)
def license_list(call: Call) -> list[dict[str, Any]]:
    """The licences a dataset may carry: KOGL types 1-4 (공공누리), Creative Commons,
    ODbL and custom terms, with commercial_use and derivatives flags."""
    return licences()


@action(read_only=True)
def help_show(call: Call) -> str:
    """What an action (``name``) does and the parameters aihub honours."""
    name = params.required(call.params, "name", limit=100)
    found = ACTIONS.get(name)
    if found is None:
        raise CkanNotFoundError(f"aihub has no action {name[:100]!r}.")
    return found.help
