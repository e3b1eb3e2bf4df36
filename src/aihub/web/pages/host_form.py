"""The challenge form's fields, read into the shape of ``challenge.yaml``, and back.

Field names are the dotted paths of ``challenge.yaml`` (``title.ko``, ``phases.0.end``,
``evaluation.metric``), so an error a service reports about a path lands next to the input
of that name. Dates are typed in the hub's time zone (``datetime-local`` inputs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile

from aihub.challenges.models import Challenge
from aihub.errors import AihubError
from aihub.storage import CHUNK

TEXTS = ("title", "summary", "description", "rules")
PHASE_KEYS = (
    "name", "title.ko", "title.en", "start", "end", "daily_limit", "total_limit",
    "final_selections",
)
EVALUATION_KEYS = (
    "metric", "metric_params.k", "metric_params.positive_label", "metric_params.labels",
    "id_column", "target", "split_column",
)
# Rows of phases the form offers: the challenge's own, and one more when creating.
NEW_PHASE_ROWS = 2
SOLUTION_DIR = "_solution"


def text_fields(form: FormData | dict[str, str]) -> dict[str, str]:
    """Every text field of the form, as typed, to fill the form again."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _get(form: dict[str, str], name: str) -> str:
    return form.get(name, "").strip()


def local_input(value: datetime, zone: ZoneInfo) -> str:
    """A stored time as a ``datetime-local`` input shows it, in the hub's zone."""
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def _datetime(value: str, zone: ZoneInfo) -> str:
    # A time typed without a zone is in the hub's zone; what does not parse is passed on
    # for the spec to refuse in its own words.
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.isoformat()


def localized(form: dict[str, str], name: str) -> dict[str, str] | None:
    """``{ko, en}`` with what was typed; None when both are empty. A missing Korean side is
    left out, so the spec says that it is required."""
    ko, en = _get(form, f"{name}.ko"), _get(form, f"{name}.en")
    if not ko and not en:
        return None
    # English left empty falls back to Korean, as in a bundle.
    return ({"ko": ko} | ({"en": en} if en else {})) if ko else {"en": en}


def _phase(
    form: dict[str, str], index: int, zone: ZoneInfo, *, spare: bool
) -> dict[str, Any] | None:
    values = {key: _get(form, f"phases.{index}.{key}") for key in PHASE_KEYS}
    if spare and not (values["name"] or values["start"] or values["end"]):
        return None  # the spare row, left empty
    phase: dict[str, Any] = {"name": values["name"]}
    title = localized(form, f"phases.{index}.title")
    if title is not None:
        phase["title"] = title
    for key in ("start", "end"):
        if values[key]:
            phase[key] = _datetime(values[key], zone)
    for key in ("daily_limit", "final_selections", "total_limit"):
        if values[key]:
            phase[key] = values[key]
    return phase


def phases(
    form: dict[str, str], zone: ZoneInfo, rows: int, *, spare_rows: bool
) -> list[dict[str, Any]]:
    """The phases typed in ``rows`` rows; with ``spare_rows``, rows after the first that
    were left empty are not phases."""
    found = (_phase(form, index, zone, spare=spare_rows and index > 0) for index in range(rows))
    return [phase for phase in found if phase is not None]


def _names(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def evaluation(form: dict[str, str]) -> dict[str, Any]:
    """The ``evaluation`` block, without the solution file."""
    params: dict[str, Any] = {}
    if k := _get(form, "evaluation.metric_params.k"):
        params["k"] = int(k) if k.isascii() and k.isdecimal() else k
    if positive := _get(form, "evaluation.metric_params.positive_label"):
        params["positive_label"] = positive
    if labels := _names(_get(form, "evaluation.metric_params.labels")):
        params["labels"] = labels
    block: dict[str, Any] = {
        "metric": _get(form, "evaluation.metric"),
        "metric_params": params,
        "id_column": _get(form, "evaluation.id_column") or "id",
    }
    targets = _names(_get(form, "evaluation.target"))
    if targets:
        block["target"] = targets[0] if len(targets) == 1 else targets
    if split := _get(form, "evaluation.split_column"):
        block["split_column"] = split
    return block


def texts_and_settings(form: dict[str, str]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for name in TEXTS:
        value = localized(form, name)
        if value is not None or name != "summary":
            raw[name] = value or {}
    raw["visibility"] = _get(form, "visibility") or "public"
    if team := _get(form, "max_team_size"):
        raw["max_team_size"] = team
    return raw


def challenge_values(challenge: Challenge, zone: ZoneInfo) -> dict[str, str]:
    """The edit form's fields filled from a stored challenge."""
    values = {
        "title.ko": challenge.title_ko, "title.en": challenge.title_en,
        "summary.ko": challenge.summary_ko, "summary.en": challenge.summary_en,
        "description.ko": challenge.description_ko, "description.en": challenge.description_en,
        "rules.ko": challenge.rules_ko, "rules.en": challenge.rules_en,
        "visibility": challenge.visibility, "max_team_size": str(challenge.max_team_size),
        "evaluation.metric": challenge.metric, "evaluation.id_column": challenge.id_column,
        "evaluation.target": ", ".join(challenge.target_columns),
        "evaluation.split_column": challenge.split_column,
    }
    params = challenge.metric_params
    values["evaluation.metric_params.k"] = str(params.get("k") or "")
    values["evaluation.metric_params.positive_label"] = str(params.get("positive_label") or "")
    values["evaluation.metric_params.labels"] = ", ".join(
        str(label) for label in params.get("labels") or ()
    )
    for index, phase in enumerate(challenge.phases):
        prefix = f"phases.{index}."
        values |= {
            prefix + "name": phase.name, prefix + "title.ko": phase.title_ko,
            prefix + "title.en": phase.title_en,
            prefix + "start": local_input(phase.starts_at, zone),
            prefix + "end": local_input(phase.ends_at, zone),
            prefix + "daily_limit": str(phase.daily_limit),
            prefix + "total_limit": "" if phase.total_limit is None else str(phase.total_limit),
            prefix + "final_selections": str(phase.final_selections),
        }
    return values


# --- Uploads -----------------------------------------------------------------------------


class UploadError(AihubError):
    """An uploaded file that cannot be taken; ``field`` names its input."""

    status_code = 422

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


def chosen_files(form: FormData, name: str) -> list[UploadFile]:
    # A file input left empty still sends a part, with no file name.
    return [item for item in form.getlist(name)
            if isinstance(item, UploadFile) and item.filename]


def safe_name(filename: str) -> str:
    name = PurePath(filename.replace("\\", "/")).name.strip()
    return name if name and not name.startswith(".") else "file"


def spool(upload: UploadFile, dest: Path, field: str, max_bytes: int) -> Path:
    """Copy an upload to ``dest`` in chunks, refusing it past ``max_bytes``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    upload.file.seek(0)
    with dest.open("wb") as out:
        while chunk := upload.file.read(CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise UploadError(field, f"{upload.filename} is larger than the limit of "
                                         f"{max_bytes} bytes.")
            out.write(chunk)
    return dest


@dataclass
class Uploaded:
    """The new challenge's files, written into ``root`` as a bundle lays them out."""

    files: list[str] = field(default_factory=list)
    sample: str | None = None
    solution: str | None = None


def spool_challenge_files(form: FormData, root: Path, max_bytes: int) -> Uploaded:
    result = Uploaded()
    for upload in chosen_files(form, "files") + chosen_files(form, "sample_submission"):
        name = safe_name(upload.filename or "")
        if name in result.files:
            raise UploadError("files", f"Two files are called {name}; rename one.")
        spool(upload, root / name, "files", max_bytes)
        result.files.append(name)
    samples = chosen_files(form, "sample_submission")
    if samples:
        result.sample = safe_name(samples[0].filename or "")
    solutions = chosen_files(form, "evaluation.solution")
    if solutions:
        # Kept apart from participants' files: a participant file may have the same name.
        relative = f"{SOLUTION_DIR}/{safe_name(solutions[0].filename or '')}"
        spool(solutions[0], root / relative, "evaluation.solution", max_bytes)
        result.solution = relative
    return result


def new_challenge_fields(
    form: dict[str, str], uploaded: Uploaded, zone: ZoneInfo
) -> dict[str, Any]:
    """The ``challenge.yaml`` of the create form."""
    raw: dict[str, Any] = {"slug": _get(form, "slug"), "organization": _get(form, "organization")}
    raw |= texts_and_settings(form)
    block = evaluation(form)
    if uploaded.solution:
        block["solution"] = uploaded.solution
    raw["evaluation"] = block
    raw["files"] = [{"path": name} for name in uploaded.files]
    if uploaded.sample:
        raw["sample_submission"] = uploaded.sample
    raw["phases"] = phases(form, zone, NEW_PHASE_ROWS, spare_rows=True)
    return raw


def edit_fields(
    form: dict[str, str], challenge: Challenge, zone: ZoneInfo, *, with_evaluation: bool
) -> dict[str, Any]:
    """The ``ChallengeEdit`` of the edit form: phase names come from the challenge."""
    raw = texts_and_settings(form)
    raw.setdefault("summary", {})  # both sides emptied: the summary is cleared
    raw["phases"] = phases(form, zone, len(challenge.phases), spare_rows=False)
    for index, phase in enumerate(raw["phases"]):
        stored = challenge.phases[index]
        phase["name"] = stored.name
        # The form shows minutes: a time left as shown keeps its stored seconds.
        for key, value in (("start", stored.starts_at), ("end", stored.ends_at)):
            if _get(form, f"phases.{index}.{key}") == local_input(value, zone):
                phase[key] = value.isoformat()
    if with_evaluation:
        raw["evaluation"] = evaluation(form)
    return raw


# --- Errors next to their fields --------------------------------------------------------

_ALIASES = {
    # A phase's own check (its end before its start) is about its end.
    "phases.{i}": "phases.{i}.end",
    "evaluation.metric_params": "evaluation.metric_params.k",
}


def form_fields(phase_rows: int, *, new: bool) -> set[str]:
    """The names of the challenge form's inputs."""
    names = {f"{text}.{lang}" for text in TEXTS for lang in ("ko", "en")}
    names |= {"visibility", "max_team_size", "evaluation.solution"}
    names |= {f"evaluation.{key}" for key in EVALUATION_KEYS}
    names |= {f"phases.{i}.{key}" for i in range(phase_rows) for key in PHASE_KEYS}
    if new:
        names |= {"organization", "slug", "files", "sample_submission"}
    return names


def _field_for(key: str, known: set[str]) -> str | None:
    if key in known:
        return key
    parts = key.split(".")
    if len(parts) == 2 and parts[0] == "phases" and parts[1].isascii() and parts[1].isdecimal():
        alias = _ALIASES["phases.{i}"].format(i=parts[1])
        return alias if alias in known else None
    if key in _ALIASES and _ALIASES[key] in known:
        return _ALIASES[key]
    # "title.ko.str": a part naming a type inside a field's path.
    while len(parts) > 1:
        parts.pop()
        if ".".join(parts) in known:
            return ".".join(parts)
    return None


def place_errors(errors: dict[str, str], known: set[str]) -> dict[str, str]:
    """Errors keyed by the input they are about; the others under "" for the whole form."""
    placed: dict[str, str] = {}
    general: list[str] = []
    for key, message in errors.items():
        target = _field_for(key, known) if key else None
        if target is None:
            general.append(f"{key}: {message}" if key else message)
        else:
            placed.setdefault(target, message)
    if general:
        placed[""] = " ".join(general)
    return placed
