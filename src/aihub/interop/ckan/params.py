"""Reading an action's parameters as CKAN clients send them.

The same parameter arrives typed from a JSON body (``"rows": 2``) and as a string from a
query string or a multipart form (``"rows": "2"``), so each reader accepts both. A value
of the wrong kind is a Validation Error naming the parameter and what it takes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aihub.interop.ckan.errors import invalid

Params = Mapping[str, Any]
MAX_TEXT = 100_000


def text(params: Params, name: str, default: str = "", *, limit: int = MAX_TEXT) -> str:
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, list) and len(value) == 1:  # ?id=x&id=x from a query string
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise invalid(name, f"Must be a string, not {type(value).__name__}.")
    value = str(value)
    if len(value) > limit:
        raise invalid(name, f"Is {len(value)} characters long; the limit is {limit}.")
    if "\x00" in value:
        raise invalid(name, "Holds a NUL character (\\0); remove it.")
    return value


def required(params: Params, name: str, *, limit: int = MAX_TEXT) -> str:
    value = text(params, name, limit=limit).strip()
    if not value:
        raise invalid(name, "Missing value")  # CKAN's own words for a missing field
    return value


def integer(params: Params, name: str, default: int, *, minimum: int = 0,
            maximum: int = 2_147_483_647) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(name, f"Invalid integer: {str(value)[:40]!r}.") from None
    if number < minimum:
        raise invalid(name, f"Must be a natural number ({minimum} or more).")
    return min(number, maximum)


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


def boolean(params: Params, name: str, default: bool = False) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int)) and str(value).strip().lower() in _TRUE | _FALSE:
        return str(value).strip().lower() in _TRUE
    raise invalid(name, f"Must be true or false, not {str(value)[:40]!r}.")


def string_list(params: Params, name: str, *, limit: int = 1_000) -> list[str]:
    """A list of strings: a JSON list, a JSON-encoded list in a string (CKAN's
    ``facet.field``), a repeated query parameter, or one plain string."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid(name, f"Is not a JSON list: {value[:60]!r}.") from None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(name, "Must be a list of strings, e.g. [\"tags\", \"organization\"].")
    if len(value) > limit:
        raise invalid(name, f"Has {len(value)} items; the limit is {limit}.")
    return value


def dict_list(params: Params, name: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """A list of objects (``tags``, ``extras``), also JSON-encoded in a form field."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid(name, f"Is not a JSON list: {value[:60]!r}.") from None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise invalid(name, "Must be a list of objects, e.g. [{\"name\": \"air\"}].")
    if len(value) > limit:
        raise invalid(name, f"Has {len(value)} items; the limit is {limit}.")
    return value


def extras(params: Params) -> dict[str, str]:
    """CKAN's ``extras: [{"key", "value"}]`` as a dict; also flat ``{"key": value}``."""
    out: dict[str, str] = {}
    for item in dict_list(params, "extras"):
        key, value = item.get("key"), item.get("value", "")
        if not isinstance(key, str) or not isinstance(value, (str, int, float, bool)):
            raise invalid("extras", "Each extra is {\"key\": string, \"value\": string}.")
        out[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return out
