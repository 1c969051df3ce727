"""Reading uploaded CSV and Parquet files: format detection, validation, schema, preview.

Pure functions of a local file path, shared by the upload path (validate and describe) and by
`read_frame` (load for training), so what was validated is exactly what training will read.
"""

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from maestro.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from maestro.ml.json_safe import json_safe

CSV = "csv"
PARQUET = "parquet"
FORMATS = (CSV, PARQUET)
SNIFF_BYTES = 64 * 1024
# The header line must end within this many bytes; bounds the work before the column check.
MAX_HEADER_BYTES = 4 * 1024 * 1024
_PARQUET_MAGIC = b"PAR1"
_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_SUFFIXES = (".csv", ".txt")
# Binary formats people upload by mistake; recognised so they get 415, not a parse error.
_BINARY_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"\x89PNG", b"%PDF", b"\xd0\xcf\x11\xe0", b"ARROW1")
_READ_CHUNK = 1024 * 1024
_MESSAGE_LIMIT = 300
_CELL_BYTES = 8

T = TypeVar("T")


@dataclass(frozen=True)
class FileProfile:
    rows: int
    columns: list[dict[str, str]]
    preview: list[dict[str, Any]]


def detect_format(head: bytes, filename: str | None) -> str:
    """CSV or Parquet from the first bytes and the file name; anything else is a 415."""
    if not head:
        raise ValidationFailed("the uploaded file is empty")
    suffix = Path(filename or "").suffix.lower()
    if head.startswith(_PARQUET_MAGIC) or suffix in _PARQUET_SUFFIXES:
        return PARQUET
    if head.startswith(_BINARY_MAGIC) or b"\x00" in head:
        raise UnsupportedMediaType(
            "only CSV and Parquet files are supported; this looks like another binary format"
        )
    if suffix in (*_CSV_SUFFIXES, ""):
        return CSV
    raise UnsupportedMediaType(
        f"only CSV (.csv) and Parquet (.parquet) files are supported, not {suffix!r}"
    )


@dataclass(frozen=True)
class DecodeLimits:
    """What a file may decode to, checked before polars materializes it: a few megabytes of
    Parquet (or CSV) can describe hundreds of millions of rows."""

    max_rows: int | None = None
    max_decoded_bytes: int | None = None

    def check(self, rows: int, decoded_bytes: int) -> None:
        if self.max_rows is not None and rows > self.max_rows:
            raise PayloadTooLarge(
                f"the file has {rows} rows; at most {self.max_rows} are allowed",
                details={"rows": rows, "limit": self.max_rows},
            )
        if self.max_decoded_bytes is not None and decoded_bytes > self.max_decoded_bytes:
            raise PayloadTooLarge(
                f"the file decodes to about {decoded_bytes} bytes; at most "
                f"{self.max_decoded_bytes} are allowed",
                details={"decoded_bytes": decoded_bytes, "limit": self.max_decoded_bytes},
            )


def profile_file(
    path: Path,
    fmt: str,
    *,
    max_columns: int,
    preview_rows: int,
    limits: DecodeLimits = DecodeLimits(),
) -> FileProfile:
    """Validate the file and describe it: row count, column names and dtypes, first rows."""
    if fmt == CSV:
        _check_utf8(path)
        _check_csv_rectangular(path, _csv_header(path, max_columns), limits)
    else:
        _check_parquet_metadata(path, max_columns, limits)
    frame = read_file(path, fmt)
    if frame.width > max_columns:  # e.g. a CSV header with quoted line breaks
        raise _too_many_columns(frame.width, max_columns)
    if frame.height == 0:
        raise _no_rows()
    return FileProfile(
        rows=frame.height,
        columns=[{"name": name, "dtype": str(dtype)} for name, dtype in frame.schema.items()],
        preview=[json_safe(row) for row in frame.head(preview_rows).to_dicts()],
    )


def read_file(path: Path, fmt: str) -> pl.DataFrame:
    """The frame polars reads from a stored dataset file (types inferred over every row)."""
    if fmt == CSV:
        return _readable(
            "CSV", lambda: pl.read_csv(path, infer_schema_length=None, try_parse_dates=True)
        )
    return _readable("Parquet", lambda: pl.read_parquet(path))


def _readable(kind: str, read: Callable[[], T]) -> T:
    """Run a parser; any parser error is the uploader's problem, so a readable 422."""
    try:
        return read()
    except (pl.exceptions.PolarsError, pa.ArrowException, OSError, ValueError) as exc:
        raise ValidationFailed(f"could not read the {kind} file: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    message = text[0] if text else type(exc).__name__
    return message[:_MESSAGE_LIMIT]


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(_READ_CHUNK):
            yield chunk


def _check_utf8(path: Path) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        for chunk in _chunks(path):
            decoder.decode(chunk)
            offset += len(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "CSV files must be UTF-8 text; found an invalid byte sequence near byte "
            f"{offset + exc.start}",
            details={"byte_offset": offset + exc.start},
        ) from exc


def _csv_header(path: Path, max_columns: int) -> list[str]:
    """The header's fields, from its first line only: wide files are refused before parsing."""
    with path.open("rb") as file:
        head = file.read(MAX_HEADER_BYTES)
    line, newline, rest = head.partition(b"\n")
    if not newline and len(head) == MAX_HEADER_BYTES:
        raise ValidationFailed(f"the CSV header line is longer than {MAX_HEADER_BYTES} bytes")
    if not rest.strip():
        raise _no_rows()
    try:
        header = next(csv.reader([line.decode("utf-8-sig").rstrip("\r")]), [])
    except csv.Error as exc:
        raise ValidationFailed(f"could not read the CSV header: {exc}") from exc
    if len(header) > max_columns:
        raise _too_many_columns(len(header), max_columns)
    return header


def _check_csv_rectangular(path: Path, columns: list[str], limits: DecodeLimits) -> None:
    """Every record has exactly the header's number of fields, and the rows stay in `limits`.

    polars pads short rows with nulls; a strict pyarrow pass (all columns as text, streamed in
    blocks) refuses them, so a file with a missing field is not silently misaligned. The same
    pass counts rows, so a file past the limits stops at the first block beyond them; its
    decoded size is estimated as 8 bytes a cell (the width of a number or a string's offset)
    plus the text itself.
    """
    rows = 0
    text_bytes = 0
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(block_size=_READ_CHUNK),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string())),
        )
        for batch in reader:
            rows += batch.num_rows
            text_bytes += batch.nbytes
            limits.check(rows, rows * len(columns) * _CELL_BYTES + text_bytes)
    except pa.ArrowException as exc:
        message = _first_line(exc).removeprefix("CSV parse error: ")
        raise ValidationFailed(
            f"the CSV file is not rectangular (every row needs {len(columns)} fields): {message}"
        ) from exc


def _check_parquet_metadata(path: Path, max_columns: int, limits: DecodeLimits) -> None:
    """The footer alone tells whether the file is complete, how wide and how long it is, and
    what it decodes to: the row groups' uncompressed size, and at least 8 bytes a cell (RLE
    and dictionary pages make a constant column of a billion rows a few bytes on disk)."""
    metadata = _readable("Parquet", lambda: pq.read_metadata(path))
    if metadata.num_columns > max_columns:
        raise _too_many_columns(metadata.num_columns, max_columns)
    uncompressed = sum(
        metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
    )
    cells = metadata.num_rows * metadata.num_columns * _CELL_BYTES
    limits.check(metadata.num_rows, max(uncompressed, cells))


def _no_rows() -> ValidationFailed:
    return ValidationFailed("the file has a header but no data rows")


def _too_many_columns(found: int, limit: int) -> ValidationFailed:
    return ValidationFailed(
        f"the file has {found} columns; at most {limit} are allowed",
        details={"columns": found, "limit": limit},
    )
