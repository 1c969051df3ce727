"""Bad uploads get a clear 4xx, and leave storage usage and the artifact store untouched."""

import io
import socket
import time

import polars as pl
import pytest

from maestro.client import MaestroAPIError
from tests.datasets.conftest import UPLOAD_LIMIT
from tests.support.metrics import scrape, value
from tests.support.usage import usage_everywhere


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _wide_csv(columns: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(columns))
    return f"{header}\n{','.join('1' * columns)}\n".encode()


PARQUET = _parquet(pl.DataFrame({"a": list(range(1000)), "b": [str(i) for i in range(1000)]}))

# (case, file name, content, status, words the message must contain)
BAD_UPLOADS = [
    ("empty file", "empty.csv", b"", 422, "empty"),
    ("header but no rows", "header.csv", b"a,b,c\n", 422, "no data rows"),
    ("parquet cut in half", "half.parquet", PARQUET[: len(PARQUET) // 2], 422, "Parquet"),
    ("short row", "short.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8\n", 422, "not rectangular"),
    ("long row", "long.csv", b"a,b,c\n1,2,3\n4,5,6,7\n", 422, "CSV"),
    ("latin-1 text", "latin1.csv", "name\ncafé\n".encode("latin-1"), 422, "UTF-8"),
    ("10,000 columns", "wide.csv", _wide_csv(10_000), 422, "at most 2000"),
    ("a PNG image", "photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, 415, "CSV and Parquet"),
    ("JSON", "data.json", b'{"a": 1}', 415, ".json"),
    ("over the upload limit", "big.csv", b"a\n" + b"1\n" * UPLOAD_LIMIT, 413, "exceeds"),
]


def test_bad_uploads_are_refused_and_leave_storage_untouched(
    server, tenant, owner, store, stored_names, subtests
):
    for case, filename, content, status, words in BAD_UPLOADS:
        with subtests.test(case):
            started = time.monotonic()
            with pytest.raises(MaestroAPIError) as refused:
                owner.upload_dataset(content, case, filename=filename)
            assert refused.value.status_code == status, refused.value.message
            assert words in refused.value.message
            assert time.monotonic() - started < 5
            assert stored_names(store) == []
            assert usage_everywhere(server, owner, tenant.slug, "storage_bytes") == 0
    assert owner.list_datasets() == []
    assert usage_everywhere(server, owner, tenant.slug, "datasets") == 0


def _multipart(content: bytes, *, close: bool) -> bytes:
    boundary = b"maestro-boundary"
    body = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="name"\r\n\r\ncut\r\n'
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; '
        b'filename="cut.csv"\r\nContent-Type: text/csv\r\n\r\n' + content
    )
    return body + (b"\r\n--" + boundary + b"--\r\n" if close else b"")


def _post_raw(server, key: str, body: bytes, declared: int) -> bytes:
    """POST a multipart body by hand, announcing `declared` bytes; returns what came back."""
    host, port = server.url.removeprefix("http://").split(":")
    head = (
        f"POST /api/v1/datasets HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: multipart/form-data; boundary=maestro-boundary\r\n"
        f"Content-Length: {declared}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + body)
        if len(body) < declared:
            sock.shutdown(socket.SHUT_WR)  # the client gives up mid-body
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _wait_until_idle(server) -> None:
    """Poll the in-progress gauge until the server has finished with the upload."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        busy = value(
            scrape(server.url),
            "maestro_http_requests_in_progress",
            method="POST",
            endpoint="/api/v1/datasets",
        )
        if busy == 0:
            return
        time.sleep(0.02)
    raise AssertionError("the cut-off upload is still in progress")


def test_a_cut_off_multipart_body_stores_nothing(server, tenant, owner, store, stored_names):
    rows = b"a,b\n" + b"1,2\n" * 5000

    complete = _multipart(rows, close=True)
    dropped = _post_raw(server, tenant.owner_key, complete[: len(complete) // 2], len(complete))
    assert dropped == b""  # the client went away; there is nobody to answer

    unterminated = _multipart(rows, close=False)  # the final boundary never comes
    reply = _post_raw(server, tenant.owner_key, unterminated, len(unterminated))
    assert reply.startswith(b"HTTP/1.1 422 "), reply[:100]

    _wait_until_idle(server)
    assert owner.list_datasets() == []
    assert stored_names(store) == []
    assert usage_everywhere(server, owner, tenant.slug, "storage_bytes") == 0
