"""Curators' verbs on people and organizations: find people, (de)activate them, make them
curators; create organizations, allow them to host, add and remove their members.

The same functions serve the curator pages, the JSON API and any future CLI verb. Each
checks that a curator asks; the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from aihub.accounts import policy, services
from aihub.accounts.actor import Actor
from aihub.accounts.models import Membership, Organization, OrgRole, User
from aihub.accounts.web_sessions import end_all_sessions
from aihub.errors import Conflict, Forbidden, InvalidInput, NotFound
from aihub.schemas import Text

PER_PAGE = 50




def _require_curator(actor: Actor) -> User:
    user = actor.require_user()
    if not policy.can_administer(actor):
        raise Forbidden("Only curators manage people and organizations.")
    return user


class UserOut(BaseModel):
    username: str
    email: str
    display_name: str
    is_curator: bool
    is_active: bool
    created_at: datetime
    organizations: list[str]


class UserPage(BaseModel):
    query: str
    page: int
    pages: int
    total: int
    users: list[UserOut]


def _like(text: str) -> str:
    # The search is a substring match: the person's own % and _ mean themselves.
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search_users(
    session: Session, actor: Actor, query: str = "", *, page: int = 1, per_page: int = PER_PAGE
) -> UserPage:
    """People whose username, e-mail or display name holds ``query``, newest first."""
    _require_curator(actor)
    query = query.strip()
    where = []
    if query:
        pattern = _like(query)
        where.append(or_(
            func.lower(User.username).like(pattern, escape="\\"),
            func.lower(User.email).like(pattern, escape="\\"),
            func.lower(User.display_name).like(pattern, escape="\\"),
        ))
    total = session.scalar(select(func.count(User.id)).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    users = list(session.scalars(
        select(User).where(*where).order_by(User.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ))
    orgs: dict[int, list[str]] = {user.id: [] for user in users}
    for user_id, slug in session.execute(
        select(Membership.user_id, Organization.slug)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id.in_(orgs))
        .order_by(Organization.slug)
    ):
        orgs[user_id].append(slug)
    return UserPage(
        query=query, page=page, pages=pages, total=total,
        users=[user_out(user, orgs[user.id]) for user in users],
    )


def user_view(session: Session, actor: Actor, username: str) -> UserOut:
    _require_curator(actor)
    user = services.get_user(session, username)
    slugs = session.scalars(
        select(Organization.slug)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id)
        .order_by(Organization.slug)
    )
    return user_out(user, list(slugs))


def user_out(user: User, organizations: list[str]) -> UserOut:
    return UserOut(
        username=user.username, email=user.email, display_name=user.display_name,
        is_curator=user.is_curator, is_active=user.is_active, created_at=user.created_at,
        organizations=organizations,
    )


def _active_curators(session: Session) -> int:
    return session.scalar(
        select(func.count(User.id)).where(User.is_curator.is_(True), User.is_active.is_(True))
    ) or 0


def _check_not_last_curator(session: Session, target: User) -> None:
    # Without an active curator nobody could approve, reveal or undo this from the web.
    if target.is_curator and target.is_active and _active_curators(session) <= 1:
        raise Conflict(f"{target.username} is the last active curator; make another first.")


def set_active(session: Session, actor: Actor, username: str, *, active: bool) -> User:
    """Let a person log in again, or stop them: their sessions end at once, their tokens stop
    working while they are inactive."""
    me = _require_curator(actor)
    target = services.get_user(session, username)
    if target.is_active == active:
        return target
    if not active:
        if target.id == me.id:
            raise Conflict("You cannot deactivate yourself; ask another curator.")
        _check_not_last_curator(session, target)
        end_all_sessions(session, target)
    target.is_active = active
    session.flush()
    return target


def set_curator(session: Session, actor: Actor, username: str, *, curator: bool) -> User:
    me = _require_curator(actor)
    target = services.get_user(session, username)
    if target.is_curator == curator:
        return target
    if not curator:
        if target.id == me.id:
            raise Conflict("You cannot take away your own curator role; ask another curator.")
        _check_not_last_curator(session, target)
    target.is_curator = curator
    session.flush()
    return target


class MemberOut(BaseModel):
    username: str
    display_name: str
    role: str


class OrganizationAdminOut(BaseModel):
    slug: str
    name: Text
    can_host: bool
    created_at: datetime
    members: list[MemberOut]


def list_organizations(session: Session, actor: Actor) -> list[OrganizationAdminOut]:
    """Every organization with its members, by slug."""
    _require_curator(actor)
    orgs = list(session.scalars(select(Organization).order_by(Organization.slug)))
    members = _members(session, [org.id for org in orgs])
    return [organization_out(org, members[org.id]) for org in orgs]


def organization_view(session: Session, actor: Actor, slug: str) -> OrganizationAdminOut:
    _require_curator(actor)
    org = services.get_organization(session, slug)
    return organization_out(org, _members(session, [org.id])[org.id])


def _members(session: Session, org_ids: list[int]) -> dict[int, list[MemberOut]]:
    members: dict[int, list[MemberOut]] = {org_id: [] for org_id in org_ids}
    for org_id, user, role in session.execute(
        select(Membership.organization_id, User, Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id.in_(org_ids))
        .order_by(User.username)
    ):
        members[org_id].append(
            MemberOut(username=user.username, display_name=user.display_name, role=role)
        )
    return members


def organization_out(org: Organization, members: list[MemberOut]) -> OrganizationAdminOut:
    return OrganizationAdminOut(
        slug=org.slug, name=Text(ko=org.name_ko, en=org.name_en or org.name_ko),
        can_host=org.can_host, created_at=org.created_at, members=members,
    )


def create_organization(
    session: Session, actor: Actor, *, slug: str, name_ko: str, name_en: str = "",
    can_host: bool = False,
) -> Organization:
    _require_curator(actor)
    if not name_ko.strip():
        raise InvalidInput("name_ko: an organization needs a Korean name.")
    try:
        return services.create_organization(
            session, slug=slug.strip(), name_ko=name_ko.strip()[:200],
            name_en=name_en.strip()[:200], can_host=can_host,
        )
    except (InvalidInput, Conflict) as exc:  # the slug's form, or the slug is taken
        raise type(exc)(f"slug: {exc.detail}") from exc


def set_hosting(session: Session, actor: Actor, slug: str, *, can_host: bool) -> Organization:
    """Allow an organization to host challenges, or stop it creating new ones (its existing
    challenges stay, managed by its members)."""
    _require_curator(actor)
    org = services.get_organization(session, slug)
    org.can_host = can_host
    session.flush()
    return org


def _role(role: str) -> OrgRole:
    try:
        return OrgRole(role)
    except ValueError:
        roles = ", ".join(item.value for item in OrgRole)
        raise InvalidInput(f"role: {role!r} is not a role; choose one of {roles}.") from None


def add_member(
    session: Session, actor: Actor, slug: str, username: str, *, role: str = "member"
) -> Membership:
    """Make a person a member of an organization (a host of its challenges), or change the
    role of one who is already."""
    _require_curator(actor)
    chosen = _role(role)
    org = services.get_organization(session, slug)
    try:
        user = services.get_user(session, username.strip())
    except NotFound as exc:
        raise InvalidInput(f"username: {exc.detail}") from exc
    return services.add_member(session, org, user, role=chosen)


def remove_member(session: Session, actor: Actor, slug: str, username: str) -> None:
    _require_curator(actor)
    org = services.get_organization(session, slug)
    user = services.get_user(session, username)
    membership = session.scalar(
        select(Membership).where(
            Membership.organization_id == org.id, Membership.user_id == user.id
        )
    )
    if membership is None:
        raise NotFound(f"{username} is not a member of {slug}.")
    session.delete(membership)
    session.flush()
