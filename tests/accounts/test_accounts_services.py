from __future__ import annotations

import pytest
from sqlalchemy import select

from aihub.accounts import services
from aihub.accounts.models import ApiToken, User
from aihub.accounts.passwords import verify_password
from aihub.errors import Conflict, InvalidInput, NotFound
from aihub.hub import Hub


def test_password_is_hashed_with_argon2_and_verifies(hub: Hub) -> None:
    with hub.db.transaction() as session:
        services.create_user(session, username="minji", email="minji@example.org",
                             password="s3cret-pass")
    with hub.db.transaction() as session:
        user = session.scalar(select(User).where(User.username == "minji"))
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert "s3cret-pass" not in user.password_hash
        assert verify_password(user.password_hash, "s3cret-pass")
        assert not verify_password(user.password_hash, "wrong-pass")


@pytest.mark.parametrize(
    ("username", "email", "password", "message"),
    [
        ("a", "a@example.org", "longenough", "Usernames are"),
        ("bad name", "a@example.org", "longenough", "Usernames are"),
        ("good", "not-an-email", "longenough", "not an e-mail"),
        ("good", "a@example.org", "short", "at least 8"),
    ],
)
def test_bad_user_input_is_explained(
    hub: Hub, username: str, email: str, password: str, message: str
) -> None:
    with hub.db.transaction() as session, pytest.raises(InvalidInput, match=message):
        services.create_user(session, username=username, email=email, password=password)


def test_duplicate_username_and_email(hub: Hub) -> None:
    with hub.db.transaction() as session:
        services.create_user(session, username="sora", email="sora@example.org",
                             password="longenough")
    with hub.db.transaction() as session, pytest.raises(Conflict, match="taken"):
        services.create_user(session, username="sora", email="x@example.org",
                             password="longenough")
    with hub.db.transaction() as session, pytest.raises(Conflict, match="exists already"):
        services.create_user(session, username="sora2", email="sora@example.org",
                             password="longenough")


def test_tokens_are_stored_hashed_shown_once_and_revocable(hub: Hub) -> None:
    with hub.db.transaction() as session:
        user = services.create_user(session, username="jun", email="jun@example.org",
                                    password="longenough")
        token, plain = services.create_token(session, user, name="laptop")
        token_id = token.id
    assert plain.startswith("aihub_")
    with hub.db.transaction() as session:
        stored = session.get(ApiToken, token_id)
        assert stored is not None
        assert plain not in (stored.token_hash, stored.prefix)
        assert plain.startswith(stored.prefix)
        found = services.user_for_token(session, plain)
        assert found is not None and found.username == "jun"
        assert services.user_for_token(session, plain + "x") is None
        stranger = services.create_user(session, username="eve", email="eve@example.org",
                                        password="longenough")
        with pytest.raises(NotFound):
            services.revoke_token(session, services.actor_for(session, stranger), token_id)
        services.revoke_token(session, services.actor_for(session, found), token_id)
    with hub.db.reading() as session:
        assert services.user_for_token(session, plain) is None


def test_actor_knows_hosting_organizations(hub: Hub) -> None:
    with hub.db.transaction() as session:
        user = services.create_user(session, username="hana", email="hana@example.org",
                                    password="longenough")
        hosting = services.create_organization(session, slug="daejeon-city", name_ko="대전광역시",
                                               can_host=True)
        plain = services.create_organization(session, slug="some-lab", name_ko="연구소")
        services.add_member(session, hosting, user)
        services.add_member(session, plain, user)
        actor = services.actor_for(session, user)
    assert actor.org_ids == {hosting.id, plain.id}
    assert actor.hosting_org_ids == {hosting.id}


def test_duplicate_organization_is_a_conflict(hub: Hub) -> None:
    with hub.db.transaction() as session:
        services.create_organization(session, slug="kaist-ai", name_ko="카이스트")
    with hub.db.transaction() as session, pytest.raises(Conflict):
        services.create_organization(session, slug="kaist-ai", name_ko="카이스트")
