"""One batch of cells → findings: pre-filter in Arrow, then the exact patterns on candidates.

Runs in worker threads: the Arrow calls release the GIL, and the Python part only sees
the few cells the pre-filter lets through.
"""

from __future__ import annotations

import bisect

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from aihub.datasets.pii.detect import (
    LEFT_CONTEXT,
    LONGEST_MATCH,
    Hit,
    find_hits,
    masked_text,
    nfkc,
    snippet,
)
from aihub.datasets.pii.fast import candidate_indices, is_stable, refilter
from aihub.datasets.pii.report import MAX_CONTEXTS, MAX_EXAMPLES, MAX_ROWS, Findings
from aihub.datasets.pii.sources import Batch, Column

# Below this many normalized candidates, a second Arrow pass costs more than it saves.
_REFILTER_MIN = 256
_GROUP_BYTES = 2 * 1024 * 1024
_LONG_CELL = 64 * 1024  # characters: longer cells are cut into pieces for the pre-filter
_PIECE = 4096
_CELL_CHARS = 40  # per cell in a row's context
_ROW_CHARS = 400


def _nonempty(array: pa.Array) -> int:
    lengths = pc.utf8_length(pc.utf8_trim_whitespace(array))
    return int(pc.sum(pc.greater(lengths, 0)).as_py() or 0)


def _positions(arrays: list[pa.Array], columns: list[Column]) -> list[list[int]]:
    """Per column, the positions of the cells that may hold a match. Narrow neighbouring
    columns with the same hints are filtered in one Arrow call: each call compiles the
    pattern again (about 2 ms), which would dominate a wide table's small columns."""
    found: list[list[int]] = [[] for _ in arrays]
    group: list[int] = []

    def flush() -> None:
        if len(group) == 1:
            found[group[0]] = candidate_indices(arrays[group[0]], columns[group[0]].hints)
        elif group:
            starts = [0]
            for i in group:
                starts.append(starts[-1] + len(arrays[i]))
            joined = pa.concat_arrays([arrays[i] for i in group])
            for index in candidate_indices(joined, columns[group[0]].hints):
                k = bisect.bisect_right(starts, index) - 1
                found[group[k]].append(index - starts[k])
        group.clear()

    for i, array in enumerate(arrays):
        if group and (columns[i].hints != columns[group[0]].hints
                      or array.type != arrays[group[0]].type
                      or sum(arrays[j].nbytes for j in group) >= _GROUP_BYTES):
            flush()
        group.append(i)
    flush()
    return found


def _candidates(array: pa.Array, positions: list[int],
                hints: frozenset[str]) -> list[tuple[int, str]]:
    """(position, NFKC text) of the cells that may hold a match."""
    if not positions:
        return []
    texts = array.take(pa.array(positions, pa.int64())).to_pylist()
    cells = [(i, t if is_stable(t) else nfkc(t)) for i, t in zip(positions, texts, strict=True)]
    unstable = [k for k, (_, t) in enumerate(cells) if not is_stable(t)]
    if len(unstable) >= _REFILTER_MIN:
        keep = dict(zip(unstable, refilter([cells[k][1] for k in unstable], hints), strict=True))
        cells = [cell for k, cell in enumerate(cells) if keep.get(k, True)]
    return cells


def _pieces(text: str, accept: tuple[int, int | None],
            hints: frozenset[str]) -> list[tuple[str, tuple[int, int | None]]]:
    """A long cell or line as overlapping pieces that may hold a match, each with the range
    where its matches start. The exact patterns run at plain-``re`` speed (2 MB/s), so a
    many-megabyte line is first cut into pieces that the pre-filter can skip."""
    if len(text) <= _LONG_CELL:
        return [(text, accept)]
    low, high = accept
    end = len(text) if high is None else high
    pieces: list[tuple[str, tuple[int, int | None]]] = []
    for start in range(low, end, _PIECE):
        stop = min(start + _PIECE, end)
        first = max(0, start - LEFT_CONTEXT)
        last = stop == end and high is None
        pieces.append((text[first : min(len(text), stop + LONGEST_MATCH)],
                       (start - first, None if last else stop - first)))
    keep = refilter([piece for piece, _ in pieces], hints)
    return [piece for piece, wanted in zip(pieces, keep, strict=True) if wanted]


def _row_context(batch: Batch, columns: list[Column], position: int) -> str:
    """The hit's row, every cell masked: "column: value | column: value"."""
    parts: list[str] = []
    for column, array in zip(columns, batch.arrays, strict=True):
        value = array[position].as_py()
        if value is None or not str(value).strip():
            continue
        # Masked on a prefix a longest match past what is shown: a match cut at the prefix's
        # end lies beyond the characters shown.
        text = masked_text(nfkc(str(value)[: _CELL_CHARS + LONGEST_MATCH]), column.hints)
        if len(text) > _CELL_CHARS:
            text = text[:_CELL_CHARS] + "…"
        parts.append(f"{column.name}: {text}")
    joined = " | ".join(parts)
    return joined if len(joined) <= _ROW_CHARS else joined[:_ROW_CHARS] + "…"


def _record(findings: Findings, column: Column, hit: Hit, row: int,
            context: str | None) -> None:
    finding = findings.get(column.name, hit.pattern, hit.severity)
    finding.count += 1
    if len(finding.rows) < MAX_ROWS and (not finding.rows or finding.rows[-1] != row):
        finding.rows.append(row)
    if len(finding.examples) < MAX_EXAMPLES:
        masked = hit.masked
        if masked not in finding.examples:
            finding.examples.append(masked)
    if context is not None and len(finding.contexts) < MAX_CONTEXTS:
        finding.contexts.append(context)
    if hit.checksum is not None:
        finding.checksum_pass += hit.checksum
        finding.checksum_fail += not hit.checksum
    finding.with_context += hit.context
    finding.weak += hit.weak


def _wants_context(findings: Findings, column: Column, hit: Hit) -> bool:
    key = (column.name, hit.pattern, hit.severity)
    return key not in findings.by_key or len(findings.by_key[key].contexts) < MAX_CONTEXTS


def analyse(batch: Batch, source_columns: list[Column]) -> Findings:
    """Findings of one batch; rows as the batch numbers them."""
    columns = batch.columns or source_columns
    findings = Findings()
    positions = _positions(batch.arrays, columns)
    for column, array, chosen in zip(columns, batch.arrays, positions, strict=True):
        if "name" in column.hints and column.name is not None:
            findings.nonempty[column.name] = _nonempty(array)
        for position, text in _candidates(array, chosen, column.hints):
            accept = batch.accept[position] if batch.accept else (0, None)
            row = batch.rows[position] if batch.rows else batch.first_row + position
            cell = text.rstrip("\r\n") if column.name is None else text
            for piece, piece_accept in _pieces(cell, accept, column.hints):
                for hit in find_hits(piece, column.hints, piece_accept):
                    context = None
                    if _wants_context(findings, column, hit):
                        context = (snippet(piece, hit, column.hints) if column.name is None
                                   else _row_context(batch, columns, position))
                    _record(findings, column, hit, row, context)
    return findings
