"""Shapes shared by every domain's API schemas."""

from __future__ import annotations

from pydantic import BaseModel


class Text(BaseModel):
    """A text in both of the hub's languages."""

    ko: str
    en: str


class ErrorOut(BaseModel):
    detail: str
