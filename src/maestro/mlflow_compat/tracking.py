"""MLflow experiments and runs, on Maestro's experiment service.

A run is created by `ExperimentService.create` (so it takes an `experiments` quota, counts in
`maestro_ml_experiments_total` and shows in `/api/v1/experiments`, the CLI and the dashboards),
grouped under its MLflow experiment's name; metrics, params and tags go through the same service.
Every lookup is by the caller's tenant: another tenant's experiment or run does not exist.
"""

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maestro.db.models import Experiment, MlflowExperiment, MlflowRun
from maestro.errors import Conflict, NotFound
from maestro.mlflow_compat import search
from maestro.mlflow_compat.errors import INVALID_STATE, MlflowError, invalid
from maestro.services.experiments import MAX_HISTORY_PAGE, ExperimentService, MetricValue
from maestro.services.principal import Principal

ACTIVE = "active"
DELETED = "deleted"
DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
# MLflow status <-> Maestro status
TO_MAESTRO = {"FINISHED": "completed", "FAILED": "failed", "KILLED": "cancelled"}
TO_MLFLOW = {"running": "RUNNING", **{v: k for k, v in TO_MAESTRO.items()}}
VIEW_TYPES = {"ACTIVE_ONLY": (ACTIVE,), "DELETED_ONLY": (DELETED,), "ALL": (ACTIVE, DELETED)}
MAX_SEARCH_RESULTS = 50_000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
RUN_NAME_TAG = "mlflow.runName"


@dataclass(frozen=True)
class RunView:
    """A run as MLflow shows it, copied out of the session."""

    experiment: Experiment
    mlflow: MlflowRun
    metrics: Mapping[str, MetricValue]


def millis(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def from_millis(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise invalid(f"invalid timestamp {value!r}") from exc


def experiment_artifact_location(experiment_id: str) -> str:
    return f"mlflow-artifacts:/{experiment_id}"


def run_artifact_path(experiment_id: str, run_id: str) -> str:
    return f"{experiment_id}/{run_id}/artifacts"


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise invalid("invalid page_token") from exc
    if offset < 0:
        raise invalid("invalid page_token")
    return offset


class TrackingService:
    def __init__(self, experiments: ExperimentService) -> None:
        self.experiments = experiments

    # --- experiments ---------------------------------------------------------------------------

    def create_experiment(
        self, session: Session, principal: Principal, name: str, tags: Mapping[str, str]
    ) -> MlflowExperiment:
        tenant_id = principal.require_tenant()
        principal.require_write()
        name = (name or "").strip()
        if not name or len(name) > 200:
            raise invalid("experiment name must be 1-200 characters")
        if self._by_name(session, tenant_id, name) is not None:
            raise Conflict(f"experiment {name!r} already exists")
        experiment = MlflowExperiment(
            tenant_id=tenant_id, name=name, lifecycle_stage=ACTIVE, tags=dict(tags)
        )
        session.add(experiment)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as exc:
            raise Conflict(f"experiment {name!r} already exists") from exc
        return experiment

    def get_experiment(
        self, session: Session, principal: Principal, experiment_id: str, *, create: bool = False
    ) -> MlflowExperiment:
        """The tenant's experiment; `0` is the tenant's Default experiment (made on first write)."""
        tenant_id = principal.require_tenant()
        if experiment_id == DEFAULT_EXPERIMENT_ID:
            found = self._by_name(session, tenant_id, DEFAULT_EXPERIMENT_NAME)
            if found is None and create:
                try:
                    return self.create_experiment(session, principal, DEFAULT_EXPERIMENT_NAME, {})
                except Conflict:
                    found = self._by_name(session, tenant_id, DEFAULT_EXPERIMENT_NAME)
        else:
            found = session.scalar(
                select(MlflowExperiment).where(
                    MlflowExperiment.id == str(experiment_id),
                    MlflowExperiment.tenant_id == tenant_id,
                )
            )
        if found is None:
            raise NotFound(f"experiment with id {experiment_id!r} does not exist")
        return found

    def get_experiment_by_name(
        self, session: Session, principal: Principal, name: str
    ) -> MlflowExperiment:
        found = self._by_name(session, principal.require_tenant(), name)
        if found is None:
            raise NotFound(f"experiment {name!r} does not exist")
        return found

    def search_experiments(
        self,
        session: Session,
        principal: Principal,
        *,
        view_type: str,
        filter_string: str | None,
        order_by: Sequence[str],
        max_results: int,
        page_token: str | None,
    ) -> tuple[list[MlflowExperiment], str | None]:
        tenant_id = principal.require_tenant()
        if not 1 <= max_results <= MAX_SEARCH_RESULTS:
            raise invalid(f"max_results must be between 1 and {MAX_SEARCH_RESULTS}")
        stages = _stages(view_type)
        clauses = search.parse_filter(filter_string)
        orders = search.parse_order_by(order_by) or [
            search.OrderBy("attributes", "creation_time", False)
        ]
        rows = session.scalars(
            select(MlflowExperiment).where(
                MlflowExperiment.tenant_id == tenant_id,
                MlflowExperiment.lifecycle_stage.in_(stages),
            )
        ).all()

        def lookup_of(row: MlflowExperiment) -> search.Lookup:
            attributes = {
                "name": row.name,
                "experiment_id": row.id,
                "creation_time": millis(row.created_at),
                "last_update_time": millis(row.updated_at),
                "lifecycle_stage": row.lifecycle_stage,
            }
            return search.lookup_in({"attributes": attributes, "tags": row.tags})

        found = [row for row in rows if search.matches(clauses, lookup_of(row))]
        found.sort(key=lambda row: (search.sort_key(orders, lookup_of(row)), row.id))
        return page_of(found, max_results, page_token)

    def update_experiment(
        self, session: Session, principal: Principal, experiment_id: str, new_name: str
    ) -> None:
        """Rename; the runs' Maestro group follows the name."""
        principal.require_write()
        experiment = self.get_experiment(session, principal, experiment_id)
        new_name = (new_name or "").strip()
        if not new_name or len(new_name) > 200:
            raise invalid("experiment name must be 1-200 characters")
        if new_name == experiment.name:
            return
        if self._by_name(session, experiment.tenant_id, new_name) is not None:
            raise Conflict(f"experiment {new_name!r} already exists")
        run_ids = select(MlflowRun.run_id).where(MlflowRun.experiment_id == experiment.id)
        session.execute(
            update(Experiment)
            .where(Experiment.id.in_(run_ids), Experiment.tenant_id == experiment.tenant_id)
            .values(group=new_name)
            .execution_options(synchronize_session=False)
        )
        experiment.name = new_name
        session.flush()

    def set_experiment_lifecycle(
        self, session: Session, principal: Principal, experiment_id: str, stage: str
    ) -> None:
        principal.require_write()
        experiment = self.get_experiment(session, principal, experiment_id)
        experiment.lifecycle_stage = stage
        session.flush()

    def set_experiment_tags(
        self,
        session: Session,
        principal: Principal,
        experiment_id: str,
        tags: Mapping[str, str],
        remove: Sequence[str] = (),
    ) -> None:
        principal.require_write()
        experiment = self.get_experiment(session, principal, experiment_id)
        merged = {**experiment.tags, **tags}
        for key in remove:
            merged.pop(key, None)
        experiment.tags = merged
        session.flush()

    # --- runs ----------------------------------------------------------------------------------

    def create_run(
        self,
        session: Session,
        principal: Principal,
        experiment_id: str,
        *,
        run_name: str | None,
        tags: Mapping[str, str],
    ) -> RunView:
        principal.require_write()
        experiment = self.get_experiment(session, principal, experiment_id, create=True)
        if experiment.lifecycle_stage != ACTIVE:
            raise MlflowError(INVALID_STATE, f"experiment {experiment.name!r} is deleted")
        name = run_name or tags.get(RUN_NAME_TAG) or f"run-{uuid.uuid4().hex[:8]}"
        run = self.experiments.create(
            session,
            principal,
            name=name[:200],
            group=experiment.name,
            tags={**tags, RUN_NAME_TAG: name},
        )
        extra = MlflowRun(
            run_id=run.id,
            tenant_id=run.tenant_id,
            experiment_id=experiment.id,
            lifecycle_stage=ACTIVE,
        )
        session.add(extra)
        session.flush()
        return RunView(run, extra, {})

    def get_run(self, session: Session, principal: Principal, run_id: str) -> RunView:
        run, extra = self._run(session, principal, run_id)
        return RunView(run, extra, self.experiments.latest_metrics(session, run.id))

    def update_run(
        self,
        session: Session,
        principal: Principal,
        run_id: str,
        *,
        status: str | None,
        run_name: str | None,
    ) -> RunView:
        principal.require_write()
        run, extra = self._run(session, principal, run_id)
        if run_name:
            run.name = run_name[:200]
            run.tags = {**run.tags, RUN_NAME_TAG: run_name}
            session.flush()
        if status and status != TO_MLFLOW.get(run.status):
            target = TO_MAESTRO.get(status)
            if target is None:
                raise MlflowError(
                    INVALID_STATE,
                    f"a {TO_MLFLOW[run.status]} run cannot move to {status}; "
                    "Maestro runs only move from RUNNING to FINISHED, FAILED or KILLED",
                )
            try:
                run = self.experiments.finish(session, principal, run.id, target)
            except Conflict as exc:
                raise MlflowError(INVALID_STATE, exc.message) from exc
        return RunView(run, extra, {})

    def set_run_lifecycle(
        self, session: Session, principal: Principal, run_id: str, stage: str
    ) -> None:
        principal.require_write()
        _, extra = self._run(session, principal, run_id)
        extra.lifecycle_stage = stage
        session.flush()

    def log_batch(
        self,
        session: Session,
        principal: Principal,
        run_id: str,
        *,
        metrics: Sequence[MetricValue] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        model_metrics: Sequence[MetricValue] = (),
    ) -> None:
        """Log to the run; `model_metrics` (sent with a logged model's id) skip exact repeats.

        MLflow 3's `log_model` re-sends the run's metrics tagged with the new model's id, and
        MLflow's own store keeps a (key, value, step, timestamp) point once; so do we.
        """
        principal.require_write()
        if len(params or {}) > MAX_PARAMS_PER_BATCH or len(tags or {}) > MAX_TAGS_PER_BATCH:
            raise invalid(
                f"a batch holds at most {MAX_PARAMS_PER_BATCH} params and {MAX_TAGS_PER_BATCH} tags"
            )
        run, _ = self._run(session, principal, run_id)
        if params:
            self.experiments.log_params(session, principal, run.id, dict(params))
        if tags:
            self.experiments.set_tags(session, principal, run.id, dict(tags))
        if model_metrics:
            metrics = [*metrics, *self._new_points(session, principal, run.id, model_metrics)]
        if metrics:
            try:
                self.experiments.log_metrics(session, principal, run.id, metrics)
            except Conflict as exc:
                raise MlflowError(INVALID_STATE, exc.message) from exc

    def _new_points(
        self, session: Session, principal: Principal, run_id: str, points: Sequence[MetricValue]
    ) -> list[MetricValue]:
        def identity(p: MetricValue) -> tuple[str, int, float, int | None]:
            return (p.name, p.step, p.value, millis(p.timestamp))

        seen: set[tuple[str, int, float, int | None]] = set()
        steps = {p.step for p in points}
        for name in {p.name for p in points}:
            cursor = None
            while True:
                page = self.experiments.metric_history(
                    session,
                    principal,
                    run_id,
                    name=name,
                    limit=MAX_HISTORY_PAGE,
                    cursor=cursor,
                    steps=steps,
                )
                seen.update(identity(p) for p in page.items)
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
        return [p for p in points if identity(p) not in seen]

    def delete_tag(self, session: Session, principal: Principal, run_id: str, key: str) -> None:
        run, _ = self._run(session, principal, run_id)
        if key not in run.tags:
            raise NotFound(f"no tag {key!r} on run {run_id!r}")
        self.experiments.set_tags(session, principal, run.id, {}, remove=[key])

    def metric_history(
        self,
        session: Session,
        principal: Principal,
        run_id: str,
        key: str,
        *,
        max_results: int,
        page_token: str | None,
    ) -> tuple[list[MetricValue], str | None]:
        run, _ = self._run(session, principal, run_id)
        page = self.experiments.metric_history(
            session, principal, run.id, name=key, limit=max_results, cursor=page_token or None
        )
        return page.items, page.next_cursor

    def search_runs(
        self,
        session: Session,
        principal: Principal,
        *,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        view_type: str,
        order_by: Sequence[str],
        max_results: int,
        page_token: str | None,
    ) -> tuple[list[RunView], str | None]:
        """Filter and order in Python over the experiments' runs and their latest metrics.

        MLflow filters compare latest metric values, params and tags, which live in JSON
        columns and a metric table; one query loads the runs, one their latest metrics.
        """
        tenant_id = principal.require_tenant()
        if not 1 <= max_results <= MAX_SEARCH_RESULTS:
            raise invalid(f"max_results must be between 1 and {MAX_SEARCH_RESULTS}")
        clauses = search.parse_filter(filter_string)
        orders = search.parse_order_by(order_by)
        ids = []
        for experiment_id in experiment_ids:
            try:
                ids.append(self.get_experiment(session, principal, str(experiment_id)).id)
            except NotFound:
                continue  # MLflow returns no runs for an unknown experiment
        rows = session.execute(
            select(Experiment, MlflowRun)
            .join(MlflowRun, MlflowRun.run_id == Experiment.id)
            .where(
                MlflowRun.tenant_id == tenant_id,
                MlflowRun.experiment_id.in_(ids),
                MlflowRun.lifecycle_stage.in_(_stages(view_type)),
            )
        ).all()
        latest = self.experiments.latest_metrics_of(session, [run.id for run, _ in rows])
        views = [RunView(run, extra, latest.get(run.id, {})) for run, extra in rows]
        found = [v for v in views if search.matches(clauses, _run_lookup(v))]
        found.sort(
            key=lambda v: (
                search.sort_key(
                    [*orders, search.OrderBy("attributes", "start_time", False)], _run_lookup(v)
                ),
                v.experiment.id,
            )
        )
        return page_of(found, max_results, page_token)

    # --- helpers -------------------------------------------------------------------------------

    def _by_name(self, session: Session, tenant_id: str, name: str) -> MlflowExperiment | None:
        return session.scalar(
            select(MlflowExperiment).where(
                MlflowExperiment.tenant_id == tenant_id, MlflowExperiment.name == name
            )
        )

    def _run(
        self, session: Session, principal: Principal, run_id: str
    ) -> tuple[Experiment, MlflowRun]:
        row = session.execute(
            select(Experiment, MlflowRun)
            .join(MlflowRun, MlflowRun.run_id == Experiment.id)
            .where(Experiment.id == str(run_id), MlflowRun.tenant_id == principal.require_tenant())
        ).one_or_none()
        if row is None:
            raise NotFound(f"run with id {run_id!r} not found")
        return row[0], row[1]


def _stages(view_type: str | None) -> tuple[str, ...]:
    stages = VIEW_TYPES.get((view_type or "ACTIVE_ONLY").upper())
    if stages is None:
        raise invalid(f"invalid view type {view_type!r}")
    return stages


def _run_lookup(view: RunView) -> search.Lookup:
    run = view.experiment
    attributes = {
        "run_id": run.id,
        "run_name": run.name,
        "status": TO_MLFLOW.get(run.status, run.status),
        "start_time": millis(run.created_at),
        "end_time": millis(run.finished_at),
        "user_id": run.tags.get("mlflow.user"),
        "lifecycle_stage": view.mlflow.lifecycle_stage,
        "experiment_id": view.mlflow.experiment_id,
        "artifact_uri": "mlflow-artifacts:/" + run_artifact_path(view.mlflow.experiment_id, run.id),
    }
    return search.lookup_in(
        {
            "attributes": attributes,
            "metrics": {name: point.value for name, point in view.metrics.items()},
            "params": {k: str(v) for k, v in run.params.items()},
            "tags": run.tags,
        }
    )


def page_of(items: list[Any], max_results: int, page_token: str | None) -> tuple[list[Any], Any]:
    if max_results < 1:  # a page of 0 would hand back the same token forever
        raise invalid("max_results must be a positive number")
    offset = decode_token(page_token)
    chunk = items[offset : offset + max_results]
    more = offset + max_results < len(items)
    return chunk, encode_token(offset + max_results) if more else None
