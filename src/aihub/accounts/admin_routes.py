"""Curators' API on people and organizations (``accounts.admin``): the same verbs as the
pages under /curator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from aihub.accounts import admin
from aihub.accounts.admin import MemberOut, OrganizationAdminOut, UserOut, UserPage
from aihub.accounts.models import User
from aihub.deps import ActorDep, HubDep, ReadSession

router = APIRouter(prefix="/api/v1", tags=["administration"])


@router.get("/users", response_model=UserPage)
def users_route(
    session: ReadSession, actor: ActorDep,
    q: Annotated[str, Query(max_length=100, description="part of a name or e-mail")] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> UserPage:
    """People of the hub, newest first (curators only)."""
    return admin.search_users(session, actor, q, page=page)


class ActiveIn(BaseModel):
    active: bool


class CuratorIn(BaseModel):
    curator: bool


@router.post("/users/{username}/active", response_model=UserOut)
def active_route(username: str, body: ActiveIn, actor: ActorDep, hub: HubDep) -> UserOut:
    """Deactivate a person (their sessions end, their tokens stop) or let them back."""
    with hub.db.transaction() as session:
        admin.set_active(session, actor, username, active=body.active)
        return admin.user_view(session, actor, username)


@router.post("/users/{username}/curator", response_model=UserOut)
def curator_route(username: str, body: CuratorIn, actor: ActorDep, hub: HubDep) -> UserOut:
    """Make a person a curator, or no longer one (never the last active curator)."""
    with hub.db.transaction() as session:
        admin.set_curator(session, actor, username, curator=body.curator)
        return admin.user_view(session, actor, username)


@router.get("/organizations", response_model=list[OrganizationAdminOut])
def organizations_route(session: ReadSession, actor: ActorDep) -> list[OrganizationAdminOut]:
    return admin.list_organizations(session, actor)


class OrganizationIn(BaseModel):
    slug: str
    name_ko: str
    name_en: str = ""
    can_host: bool = False


@router.post(
    "/organizations", response_model=OrganizationAdminOut, status_code=status.HTTP_201_CREATED
)
def create_org_route(body: OrganizationIn, actor: ActorDep, hub: HubDep) -> OrganizationAdminOut:
    with hub.db.transaction() as session:
        org = admin.create_organization(
            session, actor, slug=body.slug, name_ko=body.name_ko, name_en=body.name_en,
            can_host=body.can_host,
        )
        return admin.organization_out(org, [])


class HostingIn(BaseModel):
    can_host: bool


@router.post("/organizations/{slug}/hosting", response_model=OrganizationAdminOut)
def hosting_route(
    slug: str, body: HostingIn, actor: ActorDep, hub: HubDep
) -> OrganizationAdminOut:
    """Allow an organization to host challenges, or stop it creating new ones."""
    with hub.db.transaction() as session:
        admin.set_hosting(session, actor, slug, can_host=body.can_host)
        return admin.organization_view(session, actor, slug)


class RoleIn(BaseModel):
    role: str = "member"


@router.put("/organizations/{slug}/members/{username}", response_model=MemberOut)
def member_route(
    slug: str, username: str, body: RoleIn, actor: ActorDep, hub: HubDep
) -> MemberOut:
    """Add a member (a host of the organization's challenges) or change their role."""
    with hub.db.transaction() as session:
        membership = admin.add_member(session, actor, slug, username, role=body.role)
        user = session.get(User, membership.user_id)
        assert user is not None  # the membership was just made for them
        return MemberOut(username=user.username, display_name=user.display_name,
                         role=membership.role)


@router.delete("/organizations/{slug}/members/{username}",
               status_code=status.HTTP_204_NO_CONTENT)
def remove_member_route(slug: str, username: str, actor: ActorDep, hub: HubDep) -> None:
    with hub.db.transaction() as session:
        admin.remove_member(session, actor, slug, username)
