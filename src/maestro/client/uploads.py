"""Upload progress for the SDK's streamed multipart uploads (artifacts, datasets)."""

import os
from collections.abc import Callable
from typing import BinaryIO

UploadProgress = Callable[[int], None]


class ProgressReader:
    """A file wrapper that reports every chunk httpx reads, for upload progress bars."""

    def __init__(self, file: BinaryIO, on_read: UploadProgress) -> None:
        self._file = file
        self._on_read = on_read

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        if chunk:
            self._on_read(len(chunk))
        return chunk

    def fileno(self) -> int:  # lets httpx size the body from the file, keeping Content-Length
        return self._file.fileno()

    def tell(self) -> int:
        return self._file.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)
