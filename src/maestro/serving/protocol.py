"""The framed message protocol between the API process and a serving worker.

A frame is an 8-byte header (big-endian lengths of a JSON part and of a binary part), the JSON
part (UTF-8) and the binary part (artifact bytes, or nothing). Nothing is ever pickled: the only
decoder on either side is a JSON parser (orjson: a 100-row batch costs microseconds, where the
standard library's takes about a millisecond each way), and a frame longer than the reader's
limit is refused before it is read, so a misbehaving worker cannot make the API allocate without
bound.
"""

import os
import select
import struct
import time
from typing import Any

import orjson

HEADER = struct.Struct(">II")
MAX_JSON_BYTES = 256 * 1024**2


class ProtocolError(Exception):
    """The peer closed the pipe, overran the deadline or sent a malformed frame."""


def encode(message: dict[str, Any], blob: bytes = b"") -> bytes:
    try:
        body = orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError as exc:
        raise ProtocolError(f"not JSON-serializable: {exc}") from exc
    return HEADER.pack(len(body), len(blob)) + body + blob


def write_frame(fd: int, message: dict[str, Any], blob: bytes = b"") -> None:
    view = memoryview(encode(message, blob))
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_frame(
    fd: int, *, deadline: float | None = None, max_blob: int = 0
) -> tuple[dict[str, Any], bytes]:
    """One frame from `fd`; raises ProtocolError on EOF, timeout or an oversized frame."""
    json_len, blob_len = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    if json_len > MAX_JSON_BYTES or blob_len > max_blob:
        raise ProtocolError(f"frame too large ({json_len} + {blob_len} bytes)")
    try:
        message = orjson.loads(_read_exact(fd, json_len, deadline))
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"malformed frame: {exc}") from exc
    if not isinstance(message, dict):
        raise ProtocolError("a frame's JSON part must be an object")
    blob = _read_exact(fd, blob_len, deadline) if blob_len else b""
    return message, blob


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise ProtocolError("timed out")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise ProtocolError("the peer closed the pipe")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
