"""Prediction logging: sampled requests get ids, their bytes count against storage_bytes, and
retention, the per-tenant cap and model deletion give the bytes back."""

import threading
import time

import httpx
import pytest
from sqlalchemy import func, select, text, update

from maestro.db.base import utcnow
from maestro.db.models import PredictionRecord, QuotaUsage, RegisteredModel
from maestro.db.session import Database
from maestro.services.prediction_log import PredictionLog, _Pending
from tests.conftest import ADMIN_KEY
from tests.jobs.conftest import wait_until
from tests.model_health.conftest import generated, instances
from tests.support.live_server import LiveServer
from tests.support.metrics import scrape, value


def logged_rows(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(PredictionRecord)) or 0


def wait_for_rows(db: Database, expected: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while logged_rows(db) != expected:
        assert time.monotonic() < deadline, f"{logged_rows(db)} logged rows, not {expected}"
        time.sleep(0.05)


def storage_used(owner, slug: str) -> int:
    return owner.usage(slug)["resources"]["storage_bytes"]["used"]


def test_a_logged_prediction_returns_one_id_per_row_and_its_bytes_count_as_storage(
    server: LiveServer, tenant, owner, trained_model, db
):
    before = storage_used(owner, tenant.slug)
    response = owner.predict("scorer", instances(generated(3, seed=5)))
    assert response["prediction_id"]
    assert response["prediction_ids"] == [f"{response['prediction_id']}-{i}" for i in range(3)]
    wait_for_rows(db, 3)
    with db.session() as session:
        stored = session.scalar(select(func.sum(PredictionRecord.size_bytes)))
        row = session.get(PredictionRecord, response["prediction_ids"][1])
    assert row is not None and row.version == trained_model["version"]
    assert row.inputs["segment"] in ("a", "b", "c")
    assert row.outputs["prediction"] == response["predictions"][1]
    assert row.outputs["probabilities"] == response["probabilities"][1]
    assert storage_used(owner, tenant.slug) - before == stored


def test_logging_can_be_turned_off_per_model_and_predictions_are_still_counted(
    server: LiveServer, tenant, owner, trained_model, db
):
    assert owner.monitoring("scorer")["log_sample_rate"] == 1.0
    assert owner.set_monitoring("scorer", log_sample_rate=0.0)["log_sample_rate"] == 0.0
    response = owner.predict("scorer", instances(generated(4, seed=5)))
    assert response["prediction_id"] is None and response["prediction_ids"] is None
    time.sleep(0.3)  # several flush intervals: nothing may arrive
    assert logged_rows(db) == 0
    labels = {"tenant_id": tenant.slug, "model_name": "scorer"}
    assert value(scrape(server.url), "maestro_model_predictions_total", **labels) >= 4


def test_a_sample_rate_logs_about_that_share_of_requests(
    server: LiveServer, owner, trained_model, db
):
    owner.set_monitoring("scorer", log_sample_rate=0.25)
    row = instances(generated(1, seed=6))
    logged = sum(owner.predict("scorer", row)["prediction_id"] is not None for _ in range(200))
    assert 25 <= logged <= 75  # binomial(200, 0.25): mean 50, sd 6.1


def test_a_rate_outside_zero_to_one_is_a_validation_error(server: LiveServer, tenant, owner):
    owner.create_model("scorer")
    response = httpx.put(
        f"{server.url}/api/v1/models/scorer/monitoring",
        json={"log_sample_rate": 1.5},
        headers={"Authorization": f"Bearer {tenant.owner_key}"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_a_full_storage_quota_drops_log_rows_but_never_fails_a_prediction(
    server: LiveServer, tenant, owner, trained_model, db
):
    with httpx.Client(headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as admin:
        used = storage_used(owner, tenant.slug)
        admin.patch(
            f"{server.url}/api/v1/tenants/{tenant.slug}", json={"quotas": {"storage_bytes": used}}
        ).raise_for_status()
    response = owner.predict("scorer", instances(generated(5, seed=7)))
    assert len(response["predictions"]) == 5
    time.sleep(0.3)
    assert logged_rows(db) == 0
    assert storage_used(owner, tenant.slug) == used


def log_bytes(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.sum(PredictionRecord.size_bytes))) or 0


def sweep_with(server: LiveServer, **settings: object) -> int:
    log = server.app.state.ctx.prediction_log
    log.settings = log.settings.model_copy(update=settings)
    return log.sweep()


def test_rows_past_retention_are_deleted_and_their_bytes_released(
    server: LiveServer, tenant, owner, trained_model, db
):
    before = storage_used(owner, tenant.slug)
    owner.predict("scorer", instances(generated(10, seed=8)))
    wait_for_rows(db, 10)
    assert sweep_with(server) == 0  # within the default retention nothing goes
    assert sweep_with(server, prediction_log_retention_days=0) == 10
    assert logged_rows(db) == 0
    assert storage_used(owner, tenant.slug) == before


def test_beyond_the_tenant_cap_the_oldest_rows_go_first(
    server: LiveServer, tenant, owner, trained_model, db
):
    first = owner.predict("scorer", instances(generated(20, seed=9)))
    wait_for_rows(db, 20)
    second = owner.predict("scorer", instances(generated(20, seed=10)))
    wait_for_rows(db, 40)
    total = log_bytes(db)
    with db.session() as session:
        second_bytes = session.scalar(
            select(func.sum(PredictionRecord.size_bytes)).where(
                PredictionRecord.id.in_(second["prediction_ids"])
            )
        )
    before = storage_used(owner, tenant.slug)
    assert sweep_with(server, prediction_log_max_bytes=second_bytes) == 20
    with db.session() as session:
        kept = set(session.scalars(select(PredictionRecord.id)))
    assert kept == set(second["prediction_ids"])
    assert not kept & set(first["prediction_ids"])
    assert before - storage_used(owner, tenant.slug) == total - log_bytes(db)


def test_a_deleted_models_rows_are_swept_and_their_bytes_released(
    server: LiveServer, tenant, owner, trained_model, db
):
    owner.predict("scorer", instances(generated(10, seed=11)))
    wait_for_rows(db, 10)
    logged = log_bytes(db)
    owner.delete_model("scorer")
    after_delete = storage_used(owner, tenant.slug)
    assert sweep_with(server) == 10
    assert after_delete - storage_used(owner, tenant.slug) == logged


def test_a_boolean_sample_rate_is_a_validation_error(server: LiveServer, owner, trained_model):
    """Found by schemathesis: `false` was read as 0.0 and turned logging off."""
    from maestro.client import ValidationError

    with pytest.raises(ValidationError):
        owner.set_monitoring("scorer", log_sample_rate=False)
    assert owner.monitoring("scorer")["log_sample_rate"] == 1.0


def test_a_flush_and_a_model_delete_take_their_locks_in_one_order(
    server: LiveServer, tenant, owner, trained_model, db, settings
):
    """A model delete locks the model, then the tenant's quota rows; a flush must not hold the
    quota row while its rows' foreign key waits for that model (PostgreSQL deadlocked on it)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serializes writers")
    with db.session() as session:
        model_id, tenant_id = session.execute(
            select(RegisteredModel.id, RegisteredModel.tenant_id).where(
                RegisteredModel.name == "scorer"
            )
        ).one()
    log = PredictionLog(db, server.app.state.ctx.quotas, settings)
    log._buffer.append(_Pending(tenant_id, model_id, 1, "r" * 32, utcnow(), [{"a": 1}], [1], None))
    log._pending_rows = 1
    written: list[int] = []
    with db.engine.connect() as deleter:  # holds the model as a delete does, then the quota
        deleter.execute(
            select(RegisteredModel.id).where(RegisteredModel.id == model_id).with_for_update()
        )
        flusher = threading.Thread(target=lambda: written.append(log.flush()))
        flusher.start()
        wait_until(lambda: _waiting_on_a_lock(db), 10, "the flush to wait for the model")
        deleter.execute(
            update(QuotaUsage)
            .where(QuotaUsage.tenant_id == tenant_id, QuotaUsage.resource_type == "storage_bytes")
            .values(used=QuotaUsage.used)
        )
        deleter.commit()
    flusher.join(10)
    assert written == [1] and log.dropped_rows == 0


def _waiting_on_a_lock(db: Database) -> bool:
    with db.engine.connect() as connection:
        return bool(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        )
