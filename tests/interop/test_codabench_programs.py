"""Program folders: the metadata file and its command, and Codabench's legacy placeholder
rewriting replicated exactly (upstream's golden cases)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from codabench_helpers import copy_bundle

from aihub.interop.codabench import read_competition
from aihub.interop.codabench.programs import (
    ProgramKind,
    command_argv,
    folder_metadata,
    program_metadata,
    rewrite_legacy_command,
    unknown_placeholders,
)

GOLDEN = [
    ("python $program/score.py $input $output", ProgramKind.PROGRAM, True,
     "python /app/program/score.py /app/input /app/output"),
    ("python $ingestion_program/ingestion.py $input $output $ingestion_program "
     "$submission_program", ProgramKind.INGESTION, False,
     "python /app/program/ingestion.py /app/input_data /app/output /app/program "
     "/app/ingested_program"),
    ("python $program/run.py $predictions $hidden $shared $tmp", ProgramKind.PROGRAM, True,
     "python /app/program/run.py /app/input/res /app/input/ref /app/shared /app/output"),
    ("python run.py $predictions", ProgramKind.PROGRAM, False, "python run.py /app/output"),
    # Plain text replacement, not word-bounded: upstream's quirk, kept on purpose.
    ("python x.py $input_data", ProgramKind.INGESTION, False,
     "python x.py /app/input_data_data"),
]


@pytest.mark.parametrize(("command", "kind", "scoring", "expected"), GOLDEN)
def test_legacy_placeholders(command: str, kind: ProgramKind, scoring: bool,
                             expected: str) -> None:
    assert rewrite_legacy_command(command, kind, is_scoring=scoring) == expected


def test_unknown_placeholders() -> None:
    assert unknown_placeholders("python $program/a.py $input_data $HOME $output") == [
        "$HOME", "$input_data"]
    assert unknown_placeholders("python3 scoring.py") == []


def test_command_is_split_like_docker_does() -> None:
    assert command_argv("python3 'my score.py' --x=1") == ["python3", "my score.py", "--x=1"]
    with pytest.raises(ValueError, match="quotation"):
        command_argv("python3 'open")


def test_metadata_yaml_is_read_before_metadata(tmp_path: Path) -> None:
    (tmp_path / "metadata").write_text("command: python old.py\n")
    (tmp_path / "metadata.yaml").write_text("command: python new.py\ndescription: x\n")
    found = folder_metadata(tmp_path)
    assert (found.file, found.command) == ("metadata.yaml", "python new.py")


def test_metadata_without_command_or_unparsable(tmp_path: Path) -> None:
    assert folder_metadata(tmp_path).file is None
    (tmp_path / "metadata").write_text("description: a model for ingestion\n")
    assert (folder_metadata(tmp_path).file, folder_metadata(tmp_path).command) == (
        "metadata", None)
    (tmp_path / "metadata").write_text("command: [unclosed\n")
    broken = folder_metadata(tmp_path)
    assert broken.command is None and broken.error is not None
    (tmp_path / "metadata").write_text("!!python/object/apply:os.system ['true']\n")
    assert folder_metadata(tmp_path).command is None  # safe_load refuses the tag


def test_metadata_in_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "p.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("metadata", "command: python $program/score.py $input $output\n")
        zf.writestr("score.py", "")
    assert program_metadata(archive).command == "python $program/score.py $input $output"


def test_unknown_placeholder_is_a_warning_at_import(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_code", tmp_path)
    (folder / "scoring_program" / "metadata.yaml").write_text(
        "command: python3 score.py $input_data\n")
    competition = read_competition(folder)
    assert any("$input_data" in line.message and line.where.path == "tasks[0].scoring_program"
               for line in competition.report.warnings)
