"""The CSV lines of the gateway file are the bytes `csv.writer` writes, for any row."""

from __future__ import annotations

import csv
import io

from hypothesis import example, given
from hypothesis import strategies as st

from sciatica_pipeline.exporters.csv_lines import csv_lines

_FIELDS = st.one_of(
    st.text(),
    st.text(alphabet=',"\r\n ab\x00\t;'),  # the characters that could change the quoting
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.none(),
)


def _written(row: list[object]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow(row)
    return buffer.getvalue().encode()


@given(st.lists(st.lists(_FIELDS, max_size=12), max_size=5))
@example([[""], ["", ""], ['"'], [" , "], ["a\rb"], [True, 1.5, None, 0]])
def test_every_row_is_written_as_the_csv_module_writes_it(rows: list[list[object]]) -> None:
    assert csv_lines(rows) == [_written(row) for row in rows]  # type: ignore[arg-type]


def test_a_gateway_row_reads_back_as_it_was() -> None:
    row: list[str | int] = ["B-1", 3, "session", "+1202555", '"North", 2nd: go\r\nnow', ""]
    [line] = csv_lines([row])
    assert next(csv.reader(io.StringIO(line.decode(), newline=""))) == [str(v) for v in row]
