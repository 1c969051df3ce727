"""Dataset uploads that succeed: what is stored, described, previewed, listed and loaded."""

import hashlib
import io
from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from maestro.client import NotFoundError, PermissionDeniedError
from tests.support.usage import usage_everywhere

CSV = b"id,name,score,joined\n1,ada,0.5,2024-01-02\n2,bob,NaN,2024-02-03\n3,,1.5,2024-03-04\n"


def test_csv_upload_is_stored_described_and_previewed(server, tenant, owner, store, stored_names):
    created = owner.upload_dataset(CSV, "customers", description="toy", filename="people.csv")

    assert created["name"] == "customers" and created["description"] == "toy"
    assert created["format"] == "csv" and created["rows"] == 3
    assert created["columns"] == [
        {"name": "id", "dtype": "Int64"},
        {"name": "name", "dtype": "String"},
        {"name": "score", "dtype": "Float64"},
        {"name": "joined", "dtype": "Date"},  # dates are recognised in CSV,
    ]
    assert created["size_bytes"] == len(CSV)
    assert created["sha256"] == hashlib.sha256(CSV).hexdigest()
    fetched = owner.get_dataset(created["id"])
    assert fetched["preview"] == [
        {"id": 1, "name": "ada", "score": 0.5, "joined": "2024-01-02"},
        {"id": 2, "name": "bob", "score": None, "joined": "2024-02-03"},  # NaN -> null
        {"id": 3, "name": None, "score": 1.5, "joined": "2024-03-04"},
    ]
    assert [d["id"] for d in owner.list_datasets()] == [created["id"]]
    assert owner.list_datasets()[0]["preview"] is None  # lists stay light
    assert len(stored_names(store)) == 1
    assert usage_everywhere(server, owner, tenant.slug, "datasets") == 1
    assert usage_everywhere(server, owner, tenant.slug, "storage_bytes") == len(CSV)

    # What training gets is exactly what was validated.
    ctx = server.app.state.ctx
    with ctx.db.session() as session:
        principal = ctx.identity.authenticate(session, tenant.owner_key).principal
        frame = ctx.datasets.load_frame(session, principal, created["id"])
    assert_frame_equal(
        frame, pl.read_csv(io.BytesIO(CSV), infer_schema_length=None, try_parse_dates=True)
    )


def test_parquet_upload_from_a_path_keeps_types_and_previews_json_safely(owner, tmp_path):
    frame = pl.DataFrame(
        {
            "day": [date(2024, 1, 2), None],
            "at": [datetime(2024, 1, 2, 3, 4, 5), datetime(2024, 5, 6, 7, 8, 9)],
            "x": [float("nan"), float("inf")],
            "flag": [True, False],
        }
    )
    path = tmp_path / "events.parquet"
    frame.write_parquet(path)

    created = owner.upload_dataset(path, "events")

    assert created["format"] == "parquet" and created["rows"] == 2
    assert [c["dtype"] for c in created["columns"]] == [
        "Date",
        "Datetime(time_unit='us', time_zone=None)",
        "Float64",
        "Boolean",
    ]
    assert owner.get_dataset(created["id"])["preview"] == [
        {"day": "2024-01-02", "at": "2024-01-02T03:04:05", "x": None, "flag": True},
        {"day": None, "at": "2024-05-06T07:08:09", "x": None, "flag": False},
    ]
    # Parquet is recognised by its content, whatever the file is called.
    renamed = owner.upload_dataset(path.read_bytes(), "renamed", filename="upload.bin")
    assert renamed["format"] == "parquet"


def test_delete_releases_quotas_and_removes_the_file(server, tenant, owner, store, stored_names):
    kept = owner.upload_dataset(CSV, "kept", filename="a.csv")
    dropped = owner.upload_dataset(CSV + b"4,eve,2.5,2024-04-05\n", "dropped", filename="b.csv")
    assert len(stored_names(store)) == 2

    owner.delete_dataset(dropped["id"])

    with pytest.raises(NotFoundError):
        owner.get_dataset(dropped["id"])
    assert len(stored_names(store)) == 1
    assert usage_everywhere(server, owner, tenant.slug, "datasets") == 1
    assert usage_everywhere(server, owner, tenant.slug, "storage_bytes") == kept["size_bytes"]


def test_datasets_are_private_to_their_tenant_and_read_only_for_viewers(make_tenant):
    a, b = make_tenant(), make_tenant()
    with a.client() as as_a, b.client() as as_b:
        dataset = as_a.upload_dataset(CSV, "private", filename="p.csv")
        for call in (
            lambda: as_b.get_dataset(dataset["id"]),
            lambda: as_b.delete_dataset(dataset["id"]),
        ):
            with pytest.raises(NotFoundError):
                call()
        assert as_b.list_datasets() == []
        viewer = as_a.create_user(a.slug, "viewer", "viewer")
        with a.client(as_a.create_api_key(viewer["id"])["key"]) as as_viewer:
            assert as_viewer.get_dataset(dataset["id"])["rows"] == 3
            with pytest.raises(PermissionDeniedError):
                as_viewer.upload_dataset(CSV, "nope", filename="n.csv")
            with pytest.raises(PermissionDeniedError):
                as_viewer.delete_dataset(dataset["id"])
