"""The orphan sweep removes exactly what no row references, and only once it is old enough."""

import io
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from maestro.db.base import utcnow
from maestro.db.models import Tenant
from maestro.services.orphans import OrphanSweeper, scratch_prefix
from maestro.storage import Reclaimed
from tests.recovery.conftest import CSV
from tests.support.metrics import scrape, value

LATER = timedelta(hours=2)  # sweeping "two hours from now": everything is past the grace period


def _sweeper(server, tmp_path: Path | None = None) -> OrphanSweeper:
    ctx = server.app.state.ctx
    return OrphanSweeper(ctx.artifacts, grace_seconds=3600, scratch_dir=tmp_path)


def _tenant_id(server, owner) -> str:
    slug = owner.me()["tenant"]
    with server.app.state.ctx.db.read_session() as session:
        return session.scalar(select(Tenant.id).where(Tenant.slug == slug))


def test_objects_without_a_row_are_swept_and_referenced_ones_kept(
    server, owner, tenant, stored_names
):
    store = server.app.state.ctx.artifacts
    dataset = owner.upload_dataset(CSV, "d", filename="d.csv")
    owner.create_model("m")
    owner.upload_version("m", b"artifact bytes", format="onnx")
    before = stored_names(store)
    tenant_id = _tenant_id(server, owner)
    store.put(f"tenants/{tenant_id}/model-versions/0123abcd", io.BytesIO(b"x" * 700))
    store.put(f"datasets/{tenant_id}/0123abcd.csv", io.BytesIO(b"y" * 300))

    report = _sweeper(server).sweep(server.app.state.ctx.db, now=utcnow() + LATER)

    assert report.objects == Reclaimed(2, 1000)
    assert stored_names(store) == before
    assert owner.get_dataset(dataset["id"])["id"] == dataset["id"]
    assert owner.download_artifact("m", 1) == b"artifact bytes"


def test_an_object_younger_than_the_grace_period_is_kept(server, owner, tenant, stored_names):
    store = server.app.state.ctx.artifacts
    store.put(f"tenants/{_tenant_id(server, owner)}/model-versions/fresh", io.BytesIO(b"x"))
    before = stored_names(store)

    report = _sweeper(server).sweep(server.app.state.ctx.db)

    assert report.objects == Reclaimed()
    assert stored_names(store) == before


def test_objects_outside_the_prefixes_maestro_writes_are_never_swept(
    server, owner, tenant, stored_names
):
    store = server.app.state.ctx.artifacts
    store.put("backups/somebody-elses-file", io.BytesIO(b"keep me"))

    _sweeper(server).sweep(server.app.state.ctx.db, now=utcnow() + LATER)

    assert any(name.endswith("backups/somebody-elses-file") for name in stored_names(store))


def test_reclaimed_objects_and_bytes_are_counted_on_metrics(server, owner, tenant):
    store = server.app.state.ctx.artifacts
    store.put(f"tenants/{_tenant_id(server, owner)}/model-versions/lost", io.BytesIO(b"z" * 64))
    samples = scrape(server.url)
    count_before = value(samples, "maestro_storage_orphans_reclaimed_total", kind="object") or 0
    bytes_before = value(samples, "maestro_storage_orphan_bytes_reclaimed_total", kind="object")

    _sweeper(server).sweep(server.app.state.ctx.db, now=utcnow() + LATER)

    samples = scrape(server.url)
    assert value(samples, "maestro_storage_orphans_reclaimed_total", kind="object") == (
        count_before + 1
    )
    assert value(samples, "maestro_storage_orphan_bytes_reclaimed_total", kind="object") == (
        (bytes_before or 0) + 64
    )


def test_stale_dataset_scratch_directories_are_swept_and_live_ones_kept(
    server, owner, tenant, tmp_path
):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    stale = Path(tempfile.mkdtemp(prefix="maestro-dataset-", dir=scratch))
    (stale / "upload.csv").write_bytes(b"a" * 50)
    old = time.time() - 3 * 3600
    for path in (stale / "upload.csv", stale):
        os.utime(path, (old, old))
    live = Path(tempfile.mkdtemp(prefix="maestro-dataset-", dir=scratch))
    (live / "upload.csv").write_bytes(b"b")
    unrelated = scratch / "not-ours"
    unrelated.mkdir()
    os.utime(unrelated, (old, old))

    report = _sweeper(server, scratch).sweep(server.app.state.ctx.db)

    assert report.scratch == Reclaimed(1, 50)
    assert sorted(p.name for p in scratch.iterdir()) == sorted([live.name, "not-ours"])


def test_an_old_scratch_directory_of_a_live_process_is_kept(server, tmp_path):
    """A replica (or a test) sweeping with a short grace must not pull a live upload's files."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    working = Path(tempfile.mkdtemp(prefix=scratch_prefix(), dir=scratch))
    (working / "dataset.csv").write_bytes(b"a" * 10)
    dead = Path(tempfile.mkdtemp(prefix="maestro-dataset-999999999-", dir=scratch))
    old = time.time() - 3 * 3600
    for path in (working / "dataset.csv", working, dead):
        os.utime(path, (old, old))

    report = _sweeper(server, scratch).sweep(server.app.state.ctx.db)

    assert report.scratch.count == 1
    assert [p.name for p in scratch.iterdir()] == [working.name]
