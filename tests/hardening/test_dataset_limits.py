"""Datasets are bounded by what they decode to; a long upload never holds the SQLite write lock."""

import io
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from maestro.client import MaestroAPIError
from maestro.db.models import Dataset
from maestro.settings import Settings
from tests.conftest import make_settings
from tests.support.usage import usage_everywhere

ROWS_LIMIT = 1000


@pytest.fixture(scope="module")
def parquet_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 1 MB on disk, 250 million rows once decoded (a constant column, RLE-encoded)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.parquet"
    chunk = pa.table({"x": pa.array(np.zeros(5_000_000, dtype=np.int8))})
    with pq.ParquetWriter(path, chunk.schema, compression="zstd") as writer:
        for _ in range(50):
            writer.write_table(chunk)
    assert pq.read_metadata(path).num_rows == 250_000_000
    return path


def test_a_small_parquet_file_that_decodes_to_250_million_rows_is_refused(
    server, tenant, owner, parquet_bomb
):
    assert parquet_bomb.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(MaestroAPIError) as refused:
        owner.upload_dataset(parquet_bomb, "bomb")
    assert refused.value.status_code == 413
    assert "250000000 rows" in str(refused.value)
    assert usage_everywhere(server, owner, tenant.slug, "storage_bytes") == 0


class TestSmallLimits:
    @pytest.fixture
    def settings(self, tmp_path: Path, database_url: str) -> Settings:
        return make_settings(
            tmp_path, database_url, max_dataset_rows=ROWS_LIMIT, max_dataset_decoded_bytes=10**6
        )

    def test_a_csv_with_more_rows_than_the_limit_is_refused_while_streaming(
        self, server, tenant, owner
    ):
        csv = b"a,b\n" + b"1,2\n" * (ROWS_LIMIT + 1)
        with pytest.raises(MaestroAPIError) as refused:
            owner.upload_dataset(io.BytesIO(csv), "long", filename="long.csv")
        assert refused.value.status_code == 413
        assert usage_everywhere(server, owner, tenant.slug, "storage_bytes") == 0
        assert list(owner.list_datasets()) == []

    def test_a_csv_that_decodes_past_the_byte_limit_is_refused(self, server, tenant, owner):
        wide = 200  # 200 columns x 8 bytes x 700 rows > 1 MB decoded, 280 KB of text
        csv = (",".join(f"c{i}" for i in range(wide)) + "\n").encode()
        csv += ((",".join("1" for _ in range(wide)) + "\n") * 700).encode()
        with pytest.raises(MaestroAPIError) as refused:
            owner.upload_dataset(io.BytesIO(csv), "wide", filename="wide.csv")
        assert refused.value.status_code == 413
        assert "decodes to" in str(refused.value)

    def test_a_csv_within_the_limits_is_accepted(self, owner, tenant):
        csv = b"a,b\n" + b"1,2\n" * ROWS_LIMIT
        assert owner.upload_dataset(io.BytesIO(csv), "ok", filename="ok.csv")["rows"] == ROWS_LIMIT


class _BlockingSource(io.RawIOBase):
    """An upload that stops half-way until released, like a slow client."""

    def __init__(self, first: bytes, rest: bytes) -> None:
        self.parts = [first, rest]
        self.paused = threading.Event()
        self.release = threading.Event()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if len(self.parts) == 1 and not self.release.is_set():
            self.paused.set()
            assert self.release.wait(30)
        return self.parts.pop(0) if self.parts else b""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_dataset_upload_in_progress_does_not_block_other_writes_on_sqlite(server, tenant):
    ctx = server.app.state.ctx
    with ctx.db.read_session() as session:
        principal = ctx.identity.authenticate(session, tenant.owner_key).principal
    source = _BlockingSource(b"a,b\n1,2\n", b"3,4\n")
    uploaded: list[Dataset] = []
    upload = threading.Thread(
        target=lambda: uploaded.append(
            ctx.datasets.upload(ctx.db, principal, name="slow", source=source, filename="s.csv")
        )
    )
    upload.start()
    try:
        assert source.paused.wait(30)
        started = time.monotonic()
        with ctx.db.session() as session:  # would wait for the upload's write lock
            ctx.experiments.create(session, principal, name="meanwhile")
        assert time.monotonic() - started < 5
    finally:
        source.release.set()
        upload.join(30)
    assert uploaded and uploaded[0].rows == 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "path", ["/api/v1/models", "/api/v1/experiments", "/api/v1/datasets", "/api/v1/training-jobs"]
)
def test_reads_answer_while_another_request_holds_the_sqlite_write_lock(
    server, tenant, owner, path
):
    owner.me()  # the once-a-minute `last seen` write happens now, not under the held lock
    ctx = server.app.state.ctx
    holding, release = threading.Event(), threading.Event()

    def hold_write_lock() -> None:
        with ctx.db.session():
            holding.set()
            release.wait(30)

    writer = threading.Thread(target=hold_write_lock)
    writer.start()
    try:
        assert holding.wait(10)
        response = owner.request("GET", path, timeout=5)
        assert response.status_code == 200
    finally:
        release.set()
        writer.join(10)
