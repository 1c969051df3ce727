"""Parsing rules of uploaded files, checked on local files (no server, no store)."""

import time

import polars as pl
import pytest

from maestro.errors import UnsupportedMediaType, ValidationFailed
from maestro.services.dataset_files import detect_format, profile_file


def test_a_10000_column_parquet_is_refused_from_its_footer(tmp_path):
    path = tmp_path / "wide.parquet"
    pl.DataFrame({f"c{i}": [1] for i in range(10_000)}).write_parquet(path)
    started = time.monotonic()
    with pytest.raises(ValidationFailed, match="10000 columns; at most 2000"):
        profile_file(path, "parquet", max_columns=2000, preview_rows=5)
    assert time.monotonic() - started < 5


def test_quoted_fields_may_hold_separators_and_line_breaks(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_bytes(b'id,text\n1,"a, b"\n2,"line one\nline two"\n')
    profile = profile_file(path, "csv", max_columns=10, preview_rows=5)
    assert profile.rows == 2
    assert profile.preview[1] == {"id": 2, "text": "line one\nline two"}


def test_types_are_inferred_from_every_row_not_the_first_hundred(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(b"x\n" + b"1\n" * 500 + b"1.5\n")
    profile = profile_file(path, "csv", max_columns=10, preview_rows=1)
    assert profile.columns == [{"name": "x", "dtype": "Float64"}]


@pytest.mark.parametrize(
    ("head", "filename", "expected"),
    [
        (b"PAR1....", "anything.bin", "parquet"),
        (b"a,b\n1,2\n", "data.csv", "csv"),
        (b"a,b\n1,2\n", None, "csv"),
        (b"a\tb\n", "notes.txt", "csv"),
    ],
)
def test_format_detection(head, filename, expected):
    assert detect_format(head, filename) == expected


@pytest.mark.parametrize(
    ("head", "filename"),
    [(b"\x1f\x8b\x08\x00", "data.csv.gz"), (b"PK\x03\x04", "book.xlsx"), (b"a,b", "data.xlsx")],
)
def test_other_formats_are_unsupported(head, filename):
    with pytest.raises(UnsupportedMediaType):
        detect_format(head, filename)
