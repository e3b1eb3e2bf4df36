"""Column statistics across batches: types narrow as values arrive, distinct counts switch
from exact to an estimate, and properties that hold for any CSV the csv module writes."""

from __future__ import annotations

import csv
import io
import string
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aihub.datasets.profile import profile_path
from aihub.datasets.profile_distinct import EXACT_DISTINCT_LIMIT, TOP_VALUES_MAX_DISTINCT
from aihub.datasets.profile_sketch import HyperLogLog
from aihub.datasets.profile_table import TableBuilder
from aihub.datasets.profile_types import ColumnProfile


def _fold(*batches: dict[str, list[object]]) -> dict[str, ColumnProfile]:
    builder = TableBuilder()
    for batch in batches:
        builder.add(pl.DataFrame(batch, strict=False))
    return {column.name: column for column in builder.result().columns}


def test_a_type_holds_only_while_every_batch_fits_it() -> None:
    columns = _fold(
        {"a": ["1", "2"], "b": ["1", "2"], "c": ["2024-01-01", None], "d": ["true", "no"]},
        {"a": ["3.5", None], "b": ["x", "4"], "c": ["2024-01-01 10:00:00", "2024-02-01"],
         "d": ["YES", "False"]},
    )
    assert (columns["a"].type, columns["a"].minimum, columns["a"].maximum) == ("float", 1.0, 3.5)
    assert columns["b"].type == "text"
    assert columns["c"].type == "text"
    assert (columns["d"].type, columns["d"].distinct) == ("boolean", 4)


def test_typed_batches_and_text_batches_of_the_same_values_agree() -> None:
    # JSON Lines: a column of numbers in one piece, numeric strings in the next.
    columns = _fold({"n": [1, 2], "f": [1, 2]}, {"n": ["3", "4"], "f": [0.5, 9.5]},
                    {"x": ["late"]})
    assert (columns["n"].type, columns["n"].maximum) == ("integer", 4)
    assert (columns["f"].type, columns["f"].minimum, columns["f"].maximum) == ("float", 0.5, 9.5)
    # A column first seen in a later batch was missing from every row before it.
    assert (columns["x"].missing, columns["n"].missing) == (4, 1)


def test_columns_absent_from_a_batch_count_as_missing() -> None:
    columns = _fold({"a": ["1"], "b": ["x"]}, {"a": ["2"]})
    assert (columns["b"].missing, columns["b"].distinct) == (1, 1)


def test_distinct_counts_are_exact_up_to_the_limit_then_estimated() -> None:
    half = EXACT_DISTINCT_LIMIT // 2
    exact = _fold({"v": [str(n) for n in range(half)]},
                  {"v": [str(n) for n in range(half // 2, half + 10)]})["v"]
    assert (exact.distinct, exact.distinct_approximate) == (half + 10, False)
    many = 3 * EXACT_DISTINCT_LIMIT // 2
    batches = [{"v": [str(n) for n in range(start, start + 50_000)]}
               for start in range(0, many, 50_000)]
    estimated = _fold(*batches, *batches[:1])["v"]
    assert estimated.distinct_approximate
    assert abs(estimated.distinct - many) < 0.03 * many


def test_top_values_only_for_few_distinct_repeated_values() -> None:
    few = _fold({"city": ["부산", "부산", "대전", None, "부산", "울산", "울산"]})["city"]
    assert [(t.value, t.count) for t in few.top_values] == [("부산", 3), ("울산", 2), ("대전", 1)]
    unique = _fold({"name": ["김", "이", "박"]})["name"]
    assert unique.top_values == ()
    many = _fold({"v": [str(n % (TOP_VALUES_MAX_DISTINCT + 1)) for n in range(1000)]},
                 {"w": ["x" * 300, "x" * 300]})
    assert many["v"].top_values == () and many["w"].top_values == ()


@pytest.mark.parametrize("cardinality", [1, 10, 1_000, 100_000, 1_000_000])
def test_hyperloglog_estimates_within_a_few_percent(cardinality: int) -> None:
    sketch = HyperLogLog()
    values = pl.Series(np.arange(cardinality)).cast(pl.String)
    for start in range(0, cardinality, 200_000):
        sketch.add(values.slice(start, 200_000).hash().to_numpy())
    # Repeats change nothing.
    sketch.add(values.slice(0, 1000).hash().to_numpy())
    assert abs(sketch.estimate() - cardinality) <= max(0.03 * cardinality, 1)


# Any text a spreadsheet holds: no surrogates, no control characters but line breaks and tabs.
_CELLS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"),
                                        include_characters="\t\r\n"), max_size=12)
_NAMES = st.text(alphabet=string.ascii_letters + "가나다_ ", min_size=1, max_size=8).filter(
    lambda name: name.strip() != "")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(_NAMES, min_size=2, max_size=5, unique=True), data=st.data())
def test_any_csv_the_csv_module_writes_round_trips_rows_and_names(
        tmp_path: Path, names: list[str], data: st.DataObject) -> None:
    rows = data.draw(st.lists(st.lists(_CELLS, min_size=len(names), max_size=len(names)),
                              max_size=30))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(names)
    writer.writerows(rows)
    path = tmp_path / "any.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    result = profile_path(path, filename="any.csv")
    assert [column.name for column in result.columns] == names
    assert result.row_count == len(rows)
    assert len(result.preview) == min(len(rows), 20)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.integers(min_value=-(2**62), max_value=2**62), min_size=1,
                       max_size=50))
def test_integers_profile_as_integers_with_their_range(tmp_path: Path,
                                                       values: list[int]) -> None:
    path = tmp_path / "n.csv"
    path.write_text("n\n" + "".join(f"{value}\n" for value in values), encoding="utf-8")
    column = profile_path(path, filename="n.csv").columns[0]
    assert (column.type, column.minimum, column.maximum) == ("integer", min(values), max(values))
    assert column.distinct == len(set(values))


def test_counted_values_and_hashes_agree_when_counting_stops() -> None:
    first = [f"v{n}" for n in range(80)]
    second = [f"v{n}" for n in range(40, 150)]  # 70 new, 40 seen while counting
    third = [f"v{n}" for n in range(0, 160, 2)]  # only 5 new, in hash mode
    column = _fold({"v": first}, {"v": second}, {"v": third})["v"]
    assert (column.distinct, column.distinct_approximate, column.top_values) == (155, False, ())
    flags = _fold({"b": [True, False, True]}, {"b": [None, True]})["b"]
    assert (flags.type, flags.distinct) == ("boolean", 2)
    assert [(t.value, t.count) for t in flags.top_values] == [("true", 3), ("false", 1)]
