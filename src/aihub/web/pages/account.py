"""A member's account: sign up, log in and out, passwords, API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from aihub.web.context import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
