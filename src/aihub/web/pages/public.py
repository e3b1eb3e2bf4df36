"""Pages anyone may read: home, challenge list, challenge, leaderboard."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from aihub.web.context import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
