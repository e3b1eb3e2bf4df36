"""docs/ckan.md names exactly the actions served, and the fields fq and facets take."""

from __future__ import annotations

import re
from pathlib import Path

from aihub.interop.ckan import routes  # noqa: F401 - registers every action
from aihub.interop.ckan.fq import FIELDS
from aihub.interop.ckan.registry import ACTIONS
from aihub.interop.ckan.search_action import FACETS, SORTS

DOC = (Path(__file__).parents[3] / "docs" / "ckan.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    return DOC.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_actions_table_is_the_action_registry() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \|", _section("Actions"), flags=re.MULTILINE)
    assert sorted(rows) == sorted(ACTIONS)


def test_every_action_has_help() -> None:
    assert all(len(action.help) > 20 for action in ACTIONS.values())


def test_fq_fields_facets_and_sorts_are_documented() -> None:
    search = _section("`package_search`")
    for name in [*FIELDS, *FACETS, *SORTS, "dataset_type", "groups"]:
        assert f"`{name}" in search, name
