"""Prediction logging: a bounded, sampled record of what each deployed model was asked and said.

The predict path only appends the request to an in-memory buffer (a few microseconds, measured
in `benchmarks/serving_peers.py`); a writer thread flushes the buffer every
`MAESTRO_PREDICTION_LOG_FLUSH_SECONDS` in one transaction per tenant, consuming the rows' bytes
from the tenant's `storage_bytes` quota in that same transaction. A batch the quota refuses is
dropped (counted and logged): logging never fails a prediction. The buffer itself is bounded,
so a stalled database cannot grow the process without limit.

Bounds per tenant: rows older than the tenant's retention, the oldest rows beyond its maximum
size, and rows whose model was deleted are removed, releasing exactly the bytes deleted
(`DELETE ... RETURNING`), so `storage_bytes` always equals what is stored. Each tenant's bounds
are its own (`tenants.prediction_log_*`, set by a platform admin) or, where unset,
`MAESTRO_PREDICTION_LOG_RETENTION_DAYS` / `MAESTRO_PREDICTION_LOG_MAX_BYTES`. The periodic sweep
applies both bounds; the writer also trims a tenant as soon as its own writes take the log over
the maximum, so between sweeps the log exceeds it only by rows other replicas wrote.

Sampling is per request (all of its rows or none) at the model's rate, by default
`MAESTRO_PREDICTION_LOG_SAMPLE_RATE`, within a budget of rows per second per deployed model and
process (`MAESTRO_PREDICTION_LOG_MAX_ROWS_PER_SECOND`): under heavy traffic the log keeps a steady
sample instead of spending the process's CPU on serializing every row (which showed as stalls in
the predict latency's tail), and one busy deployment cannot crowd out the others' logging. A
logged request's response carries `prediction_id` and one `prediction_ids` entry per row
(`<request id>-<row>`), which feedback refers to.
"""

import json
import logging
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import BigInteger, and_, delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from maestro.db.base import utcnow
from maestro.db.models import ModelMonitoring, PredictionRecord, RegisteredModel, Tenant
from maestro.db.session import Database
from maestro.errors import QuotaExceeded, ValidationFailed
from maestro.observability import metrics
from maestro.services.principal import Principal
from maestro.services.quotas import QuotaPolicy
from maestro.settings import Settings

if TYPE_CHECKING:
    from maestro.services.serving import Prediction

logger = logging.getLogger("maestro.prediction_log")

MAX_PENDING_ROWS = 200_000
_CONFIG_TTL_SECONDS = 5.0
_INSERT = insert(PredictionRecord.__table__)
# Bounds an admin may set per tenant (ten years; 1 TiB, beyond any storage quota in use).
MAX_RETENTION_DAYS = 3650.0
MAX_LOG_BYTES = 2**40


@dataclass(frozen=True)
class LogBounds:
    """A tenant's effective prediction log bounds."""

    retention_days: float
    max_bytes: int


@dataclass(frozen=True)
class _Pending:
    tenant_id: str
    model_id: str
    version: int
    request_id: str
    created_at: Any
    instances: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]]
    predictions: list[Any]
    probabilities: list[list[float]] | None


class PredictionLog:
    def __init__(self, db: Database, quotas: QuotaPolicy, settings: Settings) -> None:
        self.db = db
        self.quotas = quotas
        self.settings = settings
        self.dropped_rows = 0
        self._buffer: list[_Pending] = []
        self._pending_rows = 0
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._config: dict[tuple[str, str], tuple[str | None, float, float]] = {}
        # Bytes each tenant's log held when last measured plus what this process wrote since;
        # measured again after every sweep (other replicas write too).
        self._log_bytes: dict[str, int] = {}
        self._sweeps = 0  # a flush keeps its measure only if no sweep ran meanwhile
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._budgets: dict[tuple[str, str], _RowBudget] = {}  # per deployed model

    # --- the predict hook (hot path) ---------------------------------------------------------

    def __call__(
        self,
        principal: Principal,
        instances: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
        prediction: "Prediction",
    ) -> "Prediction":
        """Count the rows, and buffer the request when it is sampled; never raises for logging."""
        tenant_id = principal.require_tenant()
        rows = len(prediction.predictions)
        metrics.MODEL_PREDICTIONS.labels(
            tenant_id=principal.tenant_slug or metrics.ANONYMOUS_TENANT,
            model_name=prediction.model_name,
        ).inc(rows)
        try:
            model_id, rate = self._model_config(tenant_id, prediction.model_name)
        except Exception:  # a database hiccup must not fail the prediction
            logger.exception("prediction log: cannot read the sampling configuration")
            return prediction
        if model_id is None or rate <= 0.0 or (rate < 1.0 and random.random() >= rate):
            return prediction
        if not self._budget(tenant_id, prediction.model_name).take(rows):
            return prediction
        request_id = uuid.uuid4().hex
        pending = _Pending(
            tenant_id,
            model_id,
            prediction.version,
            request_id,
            utcnow(),
            instances,
            prediction.predictions,
            prediction.probabilities,
        )
        with self._lock:
            if self._pending_rows + rows > MAX_PENDING_ROWS:
                self.dropped_rows += rows
                return prediction
            self._buffer.append(pending)
            self._pending_rows += rows
        ids = [f"{request_id}-{i}" for i in range(rows)]
        return replace(prediction, prediction_id=request_id, prediction_ids=ids)

    def _model_config(self, tenant_id: str, name: str) -> tuple[str | None, float]:
        """(model id, sampling rate), cached for a few seconds per model."""
        key = (tenant_id, name)
        cached = self._config.get(key)
        now = time.monotonic()
        if cached is not None and cached[2] > now:
            return cached[0], cached[1]
        with self.db.read_session() as session:  # never queues behind SQLite writers
            row = session.execute(
                select(RegisteredModel.id, ModelMonitoring.log_sample_rate)
                .outerjoin(ModelMonitoring, ModelMonitoring.model_id == RegisteredModel.id)
                .where(RegisteredModel.tenant_id == tenant_id, RegisteredModel.name == name)
            ).one_or_none()
        model_id = row[0] if row else None
        rate = self.settings.prediction_log_sample_rate
        if row is not None and row[1] is not None:
            rate = row[1]
        self._config[key] = (model_id, rate, now + _CONFIG_TTL_SECONDS)
        return model_id, rate

    def _budget(self, tenant_id: str, name: str) -> "_RowBudget":
        """The model's own budget, so one busy deployment cannot crowd the others out."""
        key = (tenant_id, name)
        budget = self._budgets.get(key)
        if budget is None:
            with self._lock:
                budget = self._budgets.setdefault(
                    key, _RowBudget(self.settings.prediction_log_max_rows_per_second)
                )
        return budget

    def forget(self, tenant_id: str, name: str) -> None:
        """Drop the cached configuration of a model (after it changed in this process)."""
        self._config.pop((tenant_id, name), None)

    # --- per-model configuration -------------------------------------------------------------

    def effective_rate(self, override: float | None) -> float:
        return self.settings.prediction_log_sample_rate if override is None else override

    def bounds(self, tenant: Tenant) -> LogBounds:
        """The tenant's own retention and maximum size, or the settings' where it has none."""
        retention = tenant.prediction_log_retention_days
        max_bytes = tenant.prediction_log_max_bytes
        return LogBounds(
            self.settings.prediction_log_retention_days if retention is None else retention,
            self.settings.prediction_log_max_bytes if max_bytes is None else max_bytes,
        )

    def set_rate(
        self, session: Session, principal: Principal, model: RegisteredModel, rate: float | None
    ) -> ModelMonitoring:
        """Set the model's sampling rate (0 turns logging off, None restores the default)."""
        principal.require_write()
        if rate is not None and not 0.0 <= rate <= 1.0:
            raise ValidationFailed("log_sample_rate must be between 0 and 1")
        row = monitoring_row(session, model)
        row.log_sample_rate = rate
        session.flush()
        self.forget(model.tenant_id, model.name)
        return row

    # --- writer thread -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="maestro-prediction-log", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.flush()

    def _loop(self) -> None:
        next_sweep = time.monotonic() + self.settings.prediction_log_sweep_seconds
        while not self._stopping.wait(self.settings.prediction_log_flush_seconds):
            try:
                self.flush()
                if time.monotonic() >= next_sweep:
                    self.sweep()
                    next_sweep = time.monotonic() + self.settings.prediction_log_sweep_seconds
            except Exception:  # a database outage must not kill the writer
                logger.exception("prediction log flush or sweep failed")

    def flush(self) -> int:
        """Write everything buffered so far; returns the rows written."""
        with self._flush_lock:
            with self._lock:
                batch, self._buffer, self._pending_rows = self._buffer, [], 0
            by_tenant: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for pending in batch:
                try:
                    by_tenant[pending.tenant_id].extend(_rows(pending))
                except Exception:  # one unstorable request must not take the others with it
                    self.dropped_rows += len(pending.predictions)
                    logger.exception("prediction log: request %s dropped", pending.request_id)
            written = 0
            for tenant_id, rows in by_tenant.items():
                size = sum(row["size_bytes"] for row in rows)
                try:
                    sweeps = self._sweeps
                    with self.db.session() as session:
                        cap = self._cap(session, tenant_id)
                        logged = self._log_bytes.get(tenant_id)
                        if logged is None:
                            logged = _tenant_bytes(session, tenant_id)
                        # Rows first, quota second: the rows' foreign keys share-lock their
                        # models before the tenant's quota row is taken, the order a model
                        # delete takes them in (PostgreSQL found the other order deadlocked).
                        session.execute(_INSERT, rows)
                        self.quotas.consume(session, tenant_id, "storage_bytes", size)
                    written += len(rows)
                    if sweeps == self._sweeps:
                        self._log_bytes[tenant_id] = logged + size
                except QuotaExceeded:
                    self.dropped_rows += len(rows)
                    logger.warning(
                        "prediction log: %d rows of tenant %s dropped (storage_bytes quota)",
                        len(rows),
                        tenant_id,
                    )
                    continue
                except Exception:
                    self.dropped_rows += len(rows)
                    logger.exception("prediction log: %d rows dropped", len(rows))
                    continue
                if logged + size > cap:
                    try:
                        self._trim(tenant_id, cap, logged + size)
                    except Exception:  # the sweep trims it later
                        logger.exception("prediction log: cannot trim tenant %s", tenant_id)
            return written

    # --- retention and size ------------------------------------------------------------------

    def sweep(self) -> int:
        """Delete orphaned, expired and over-budget rows and release their bytes; rows deleted."""
        self._sweeps += 1
        deleted = self._delete(PredictionRecord.model_id.is_(None))[0]
        deleted += self._expire()
        default_cap = literal(self.settings.prediction_log_max_bytes, BigInteger)
        cap = func.coalesce(Tenant.prediction_log_max_bytes, default_cap)
        total = func.sum(PredictionRecord.size_bytes)
        with self.db.read_session() as session:
            over = session.execute(
                select(PredictionRecord.tenant_id, cap, total)
                .join(Tenant, Tenant.id == PredictionRecord.tenant_id)
                .group_by(PredictionRecord.tenant_id, Tenant.prediction_log_max_bytes)
                .having(total > cap)
            ).all()
        for tenant_id, tenant_cap, tenant_total in over:
            deleted += self._trim(tenant_id, tenant_cap, tenant_total)
        self._log_bytes.clear()  # measured afresh at the next write
        return deleted

    def _expire(self) -> int:
        """Delete the rows older than their tenant's retention: one DELETE per distinct value."""
        now = utcnow()
        with self.db.read_session() as session:
            own = session.scalars(
                select(Tenant.prediction_log_retention_days)
                .where(Tenant.prediction_log_retention_days.is_not(None))
                .distinct()
            ).all()
        default = timedelta(days=self.settings.prediction_log_retention_days)
        deleted = self._delete(
            PredictionRecord.created_at < now - default,
            PredictionRecord.tenant_id.in_(
                select(Tenant.id).where(Tenant.prediction_log_retention_days.is_(None))
            ),
        )[0]
        for days in own:
            deleted += self._delete(
                PredictionRecord.created_at < now - timedelta(days=days),
                PredictionRecord.tenant_id.in_(
                    select(Tenant.id).where(Tenant.prediction_log_retention_days == days)
                ),
            )[0]
        return deleted

    def _cap(self, session: Session, tenant_id: str) -> int:
        own = session.scalar(select(Tenant.prediction_log_max_bytes).where(Tenant.id == tenant_id))
        return self.settings.prediction_log_max_bytes if own is None else own

    def _trim(self, tenant_id: str, cap: int, total: int) -> int:
        """Delete the tenant's oldest rows until its `total` bytes fit in `cap`; rows deleted.

        Only the rows to delete are read (oldest first, by (created_at, id), so the rows of one
        request can be split and what is kept never exceeds the cap); rows written meanwhile
        are newer and stay. `total` comes from the sweep's sum or the writer's running count.
        """
        excess = total - cap
        if excess <= 0:
            return 0
        freed = 0
        boundary = None
        with self.db.read_session() as session:
            rows = session.execute(
                select(
                    PredictionRecord.created_at, PredictionRecord.id, PredictionRecord.size_bytes
                )
                .where(PredictionRecord.tenant_id == tenant_id)
                .order_by(PredictionRecord.created_at, PredictionRecord.id)
                .execution_options(yield_per=1000)
            )
            for created_at, row_id, size in rows:
                freed += size
                boundary = (created_at, row_id)
                if freed >= excess:
                    break
        if boundary is None:
            return 0
        created_at, row_id = boundary
        deleted, released = self._delete(
            PredictionRecord.tenant_id == tenant_id,
            or_(
                PredictionRecord.created_at < created_at,
                and_(PredictionRecord.created_at == created_at, PredictionRecord.id <= row_id),
            ),
        )
        if tenant_id in self._log_bytes:
            self._log_bytes[tenant_id] = total - released
        return deleted

    def _delete(self, *conditions: Any) -> tuple[int, int]:
        """Delete the matching rows and release their bytes; (rows, bytes) deleted."""
        with self.db.session() as session:
            gone = session.execute(
                delete(PredictionRecord)
                .where(*conditions)
                .returning(PredictionRecord.tenant_id, PredictionRecord.size_bytes)
                .execution_options(synchronize_session=False)
            ).all()
            released: dict[str, int] = defaultdict(int)
            for tenant_id, size in gone:
                released[tenant_id] += size
            for tenant_id, size in released.items():
                self.quotas.release(session, tenant_id, "storage_bytes", size)
        return len(gone), sum(released.values())


def _tenant_bytes(session: Session, tenant_id: str) -> int:
    return (
        session.scalar(
            select(func.sum(PredictionRecord.size_bytes)).where(
                PredictionRecord.tenant_id == tenant_id
            )
        )
        or 0
    )


def monitoring_row(session: Session, model: RegisteredModel) -> ModelMonitoring:
    """The model's monitoring row, created on first use."""
    row = session.scalar(select(ModelMonitoring).where(ModelMonitoring.model_id == model.id))
    if row is None:
        row = ModelMonitoring(tenant_id=model.tenant_id, model_id=model.id)
        session.add(row)
        session.flush()
    return row


def _rows(pending: _Pending) -> list[dict[str, Any]]:
    probabilities = pending.probabilities
    rows = []
    for index, (instance, predicted) in enumerate(
        zip(pending.instances, pending.predictions, strict=False)
    ):
        outputs = {
            "prediction": predicted,
            "probabilities": probabilities[index] if probabilities is not None else None,
        }
        # Rows by feature name stay objects; positional rows (a model fitted without names)
        # stay lists, which the drift job names from the version's declared features.
        inputs: dict[str, Any] | list[Any] = (
            dict(instance) if isinstance(instance, Mapping) else list(instance)
        )
        rows.append(
            {
                "id": f"{pending.request_id}-{index}",
                "tenant_id": pending.tenant_id,
                "model_id": pending.model_id,
                "version": pending.version,
                "created_at": pending.created_at,
                "inputs": inputs,
                "outputs": outputs,
                "size_bytes": _json_size(inputs) + _json_size(outputs),
            }
        )
    return rows


def _json_size(value: Any) -> int:
    """Bytes of `value` as compact JSON (orjson, ~10x faster; `json` for what orjson refuses,
    such as integers beyond 64 bits)."""
    try:
        return len(orjson.dumps(value))
    except TypeError:
        return len(json.dumps(value, separators=(",", ":")))


class _RowBudget:
    """A token bucket of rows: `rate` per second, one second's worth saved up at most.

    A request is logged whole or not at all. One larger than the bucket is logged when the bucket
    is full and leaves it in debt, so the long-run rate holds whatever the request sizes.
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._tokens = rate
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def take(self, rows: int) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.rate, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens < min(rows, self.rate):
                return False
            self._tokens -= rows
            return True
