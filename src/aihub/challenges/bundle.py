"""Reading a challenge bundle: a folder or zip with ``challenge.yaml`` and its files.

See ``docs/challenge-format.md``. Every problem is reported with the field or file it is in,
and nothing is stored until the whole bundle is valid.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from aihub.archives import ArchiveLimits, unpack
from aihub.errors import InvalidInput
from aihub.evaluation.plans import CodeFormat, CodeSpec

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
_TEXT_FILE_LIMIT = 1024 * 1024


class FileRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str


Text = str | FileRef


class Localized(BaseModel):
    """A text in Korean and English; Korean is required, English falls back to it."""

    model_config = ConfigDict(extra="forbid")
    ko: Text
    en: Text | None = None


def _plain_path(value: str) -> str:
    """A relative path written plainly (``data/train.csv``): one spelling per file, so that
    comparing paths (the solution is never among the files) compares files."""
    if not value or value != PurePosixPath(value).as_posix() or value.startswith("/") \
            or ".." in PurePosixPath(value).parts or value.startswith("./"):
        raise ValueError(f"{value!r}: write paths plainly, relative, without '.', '..' or "
                         "'//' (for example data/train.csv)")
    return value


class BundleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: Annotated[str, AfterValidator(_plain_path)]
    description: Localized | None = None
    # participants: downloadable; sandbox: seen only by code runs at /data (hidden test
    # features); both: downloadable and seen by code runs.
    audience: Literal["participants", "sandbox", "both"] = "participants"


class PhaseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    title: Localized | None = None
    start: datetime
    end: datetime
    daily_limit: Annotated[int, Field(ge=1, le=1000)] = 5
    total_limit: Annotated[int, Field(ge=1)] | None = None
    final_selections: Annotated[int, Field(ge=1, le=20)] = 2

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone, for example 2026-12-01T00:00:00+09:00")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> PhaseSpec:
        if self.end <= self.start:
            raise ValueError(f"phase {self.name!r} ends before it starts")
        return self


class EvaluationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: str
    metric_params: dict[str, Any] = Field(default_factory=dict)
    id_column: str = "id"
    target: str | list[str]
    solution: Annotated[str, AfterValidator(_plain_path)]
    split_column: str | None = None

    @property
    def target_columns(self) -> list[str]:
        return [self.target] if isinstance(self.target, str) else list(self.target)


class BaselineSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Localized
    file: str


class ChallengeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: Annotated[str, Field(pattern=SLUG_PATTERN)]
    organization: str
    title: Localized
    summary: Localized | None = None
    description: Localized
    rules: Localized
    visibility: Literal["public", "unlisted", "invite-only"] = "public"
    max_team_size: Annotated[int, Field(ge=1, le=100)] = 1
    evaluation: EvaluationSpec
    files: list[BundleFile]
    sample_submission: str | None = None
    phases: Annotated[list[PhaseSpec], Field(min_length=1)]
    baselines: list[BaselineSpec] = Field(default_factory=list)
    # Present for a code challenge: participants submit a zip that runs in the sandbox.
    code: CodeSpec | None = None
    queue: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")] = "default"

    @model_validator(mode="after")
    def _consistent(self) -> ChallengeSpec:
        names = [phase.name for phase in self.phases]
        if len(set(names)) != len(names):
            raise ValueError("phase names must be unique")
        paths = [item.path for item in self.files]
        if len(set(paths)) != len(paths):
            raise ValueError("a file is listed twice under 'files'")
        if self.evaluation.solution in paths:
            raise ValueError(
                "the solution file must not be listed under 'files': participants would "
                "download the hidden labels"
            )
        if self.sample_submission and self.sample_submission not in paths:
            raise ValueError("'sample_submission' must be one of the paths under 'files'")
        if self.code is not None:
            self._check_code(self.code)
            hidden = any(item.audience == "sandbox" for item in self.files)
            if hidden and "show_log" not in self.code.model_fields_set:
                # A program's output could print the hidden files: shown only if asked.
                self.code = self.code.model_copy(update={"show_log": False})
        elif any(item.audience != "participants" for item in self.files):
            raise ValueError("files with audience 'sandbox' or 'both' need a 'code' section")
        return self

    def _check_code(self, code: CodeSpec) -> None:
        seen = {item.path for item in self.files if item.audience != "participants"}
        nested = sorted(path for path in seen if "/" in path)
        if nested:
            raise ValueError(
                f"files seen by code runs are put side by side in /data, so their paths "
                f"must be plain file names: {', '.join(nested)}"
            )
        if code.format is CodeFormat.MODEL:
            missing = [name for name in (code.train_file, code.test_file) if name not in seen]
            if missing:
                raise ValueError(
                    f"code.format 'model' reads {', '.join(missing)} from /data: list each "
                    "under 'files' with audience 'sandbox' (hidden) or 'both'"
                )
        elif not seen:
            raise ValueError(
                "a code challenge needs at least one file with audience 'sandbox' or 'both': "
                "the data its programs read at /data"
            )


def _format_validation_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors()[:10]:
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "challenge.yaml is not valid:\n" + "\n".join(f"- {line}" for line in lines)


def safe_member(root: Path, relative: str) -> Path:
    """The path of a bundle member, refusing absolute paths and '..' escapes."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not relative.strip():
        raise InvalidInput(f"{relative!r}: paths in a bundle must be relative, without '..'.")
    path = (root / pure).resolve()
    if not path.is_relative_to(root.resolve()):
        raise InvalidInput(f"{relative!r} points outside the bundle.")
    return path


class Bundle:
    """A parsed, checked bundle rooted in a folder on disk."""

    def __init__(self, root: Path, spec: ChallengeSpec) -> None:
        self.root = root
        self.spec = spec

    def file(self, relative: str) -> Path:
        path = safe_member(self.root, relative)
        if not path.is_file():
            raise InvalidInput(f"{relative!r} is named in challenge.yaml but not in the bundle.")
        return path

    def text(self, value: Text | None) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        path = self.file(value.file)
        if path.stat().st_size > _TEXT_FILE_LIMIT:
            raise InvalidInput(f"{value.file!r} is larger than 1 MB; texts must be shorter.")
        try:
            return path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{value.file!r} is not UTF-8 text; save it as UTF-8.") from exc

    def localized(self, value: Localized | None) -> tuple[str, str]:
        if value is None:
            return "", ""
        ko = self.text(value.ko)
        return ko, self.text(value.en) if value.en is not None else ko


def parse_spec(path: Path) -> ChallengeSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InvalidInput("challenge.yaml is not UTF-8 text; save it as UTF-8.") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"challenge.yaml is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidInput("challenge.yaml must be a mapping of fields (slug, title, ...).")
    try:
        return ChallengeSpec.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(_format_validation_error(exc)) from exc


def _extract_zip(archive: Path, dest: Path, *, max_bytes: int) -> Path:
    unpack(archive, dest, ArchiveLimits(max_bytes=max_bytes), label="The bundle")
    # A zip of the folder itself holds one top folder with challenge.yaml inside.
    if (dest / "challenge.yaml").is_file():
        return dest
    candidates = list(dest.glob("*/challenge.yaml"))
    if len(candidates) == 1:
        return candidates[0].parent
    raise InvalidInput("The zip holds no challenge.yaml at its top (or in one top folder).")


@contextmanager
def open_bundle(path: Path, *, max_bytes: int) -> Iterator[Bundle]:
    """Open a bundle folder or zip; a zip is unpacked to a temporary folder removed after."""
    if path.is_dir():
        spec_path = path / "challenge.yaml"
        if not spec_path.is_file():
            raise InvalidInput(f"{path} holds no challenge.yaml.")
        yield Bundle(path, parse_spec(spec_path))
        return
    if not path.is_file():
        raise InvalidInput(f"{path} is neither a folder nor a zip file.")
    tmp = Path(tempfile.mkdtemp(prefix="aihub-bundle-"))
    try:
        root = _extract_zip(path, tmp, max_bytes=max_bytes)
        yield Bundle(root, parse_spec(root / "challenge.yaml"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
