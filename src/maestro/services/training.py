"""Training jobs: validate a request against the dataset and the catalog, queue it, read it.

What can be checked without reading the data is checked here, so a typo is a 422 and not a failed
job minutes later: the algorithm and task, hyperparameter names and values (sklearn's own
validation, through the ML catalog), the target, feature and slice columns against the dataset's
stored schema, its row count and the model name. What only the data reveals (a single-class or
all-null target, ...) fails the job with a readable `error`. The work itself is
`maestro.jobs.kinds.training`.
"""

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maestro.db.models import Dataset, Experiment, Job
from maestro.db.session import Database
from maestro.errors import Conflict, NotFound, ValidationFailed
from maestro.ml.catalog import get_algorithm
from maestro.ml.errors import TrainingError
from maestro.ml.features import kind_of
from maestro.ml.tasks import Task
from maestro.ml.training import MIN_ROWS
from maestro.observability import metrics
from maestro.services.datasets import DatasetService
from maestro.services.experiments import ExperimentService
from maestro.services.job_metrics import TerminalJob
from maestro.services.jobs import JobService, job_view
from maestro.services.pagination import Page
from maestro.services.principal import Principal, Role
from maestro.services.registry import MODEL_NAME

TRAINING_KIND = "training"
JOB_USERNAME = "maestro-job"
TASKS = ("classification", "regression", "auto")


@dataclass
class TrainingRequest:
    dataset_id: str
    target: str
    algorithm: str
    task: str = "auto"
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    feature_columns: list[str] | None = None
    test_size: float = 0.2
    seed: int = 0
    evaluation_slices: list[str] = field(default_factory=list)
    register_as: str | None = None


class TrainingService:
    def __init__(self, jobs: JobService, datasets: DatasetService) -> None:
        self.jobs = jobs
        self.datasets = datasets

    def submit(self, session: Session, principal: Principal, request: TrainingRequest) -> Job:
        """Validate and queue; takes a `concurrent_training_jobs` slot until the job ends."""
        principal.require_write()
        dataset = self.datasets.get(session, principal, request.dataset_id)
        payload = validate_request(request, dataset)
        return self.jobs.submit(session, principal, TRAINING_KIND, payload)

    def get(self, session: Session, principal: Principal, job_id: str) -> dict[str, Any]:
        return training_view(self.jobs.get(session, principal, job_id, kind=TRAINING_KIND))

    def list(
        self, session: Session, principal: Principal, *, limit: int, cursor: str | None
    ) -> Page[dict[str, Any]]:
        page = self.jobs.list(session, principal, kind=TRAINING_KIND, limit=limit, cursor=cursor)
        return Page(items=[training_view(j) for j in page.items], next_cursor=page.next_cursor)

    def cancel(self, session: Session, principal: Principal, job_id: str) -> dict[str, Any]:
        return training_view(self.jobs.cancel(session, principal, job_id, kind=TRAINING_KIND))

    def result(self, session: Session, principal: Principal, job_id: str) -> dict[str, Any] | None:
        """The stored result of a training job of this tenant (None if absent or unfinished)."""
        try:
            job = self.jobs.get(session, principal, job_id, kind=TRAINING_KIND)
        except NotFound:
            return None
        return job.result


class TrainingObserver:
    """What the API records when it sees a training job end (see `services.job_metrics`)."""

    def __init__(self, db: Database, experiments: ExperimentService) -> None:
        self.db = db
        self.experiments = experiments

    def __call__(self, job: TerminalJob) -> None:
        metrics.TRAINING_DURATION.labels(
            algorithm=str(job.payload.get("algorithm", "unknown")), status=job.status
        ).observe(job.duration_seconds)
        self.close_experiments(job)

    def close_experiments(self, job: TerminalJob) -> None:
        """A worker stopped forcibly (cancel, crash) cannot finish its experiment; do it here.

        `finish` only moves a running experiment, so one the handler did finish is untouched.
        """
        status = {"succeeded": "completed"}.get(job.status, job.status)
        principal = Principal("", JOB_USERNAME, Role.MEMBER, job.tenant_id, job.tenant_slug)
        with self.db.session() as session:
            running = running_experiments_of_job(session, job.tenant_id, job.id)
        for experiment_id in running:
            try:
                with self.db.session() as session:
                    self.experiments.finish(session, principal, experiment_id, status)
            except Conflict:
                pass  # finished meanwhile, by the handler


def running_experiments_of_job(session: Session, tenant_id: str, job_id: str) -> list[str]:
    """Ids of the experiments a training job started that are still `running`."""
    return list(
        session.scalars(
            select(Experiment.id).where(
                Experiment.tenant_id == tenant_id,
                Experiment.status == "running",
                Experiment.tags["training_job_id"].as_string() == job_id,
            )
        )
    )


def validate_request(request: TrainingRequest, dataset: Dataset) -> dict[str, Any]:
    """The job payload, or a 422 naming what is wrong."""
    columns = {c["name"]: c["dtype"] for c in dataset.columns}
    if request.task not in TASKS:
        raise _invalid(f"task must be one of {', '.join(TASKS)}", "task")
    if not 0.0 < request.test_size < 1.0:
        raise _invalid("test_size must be between 0 and 1 (exclusive)", "test_size")
    if request.target not in columns:
        raise _invalid(
            f"target column '{request.target}' is not in the dataset; columns: "
            + ", ".join(columns),
            "target",
        )
    features = request.feature_columns
    if features is not None:
        unknown = [c for c in features if c not in columns]
        if unknown:
            raise _invalid(f"unknown feature column(s): {', '.join(unknown)}", "feature_columns")
        if request.target in features:
            raise _invalid(
                f"the target column '{request.target}' cannot also be a feature", "feature_columns"
            )
        if not features:
            raise _invalid("feature_columns must name at least one column", "feature_columns")
    elif len(columns) < 2:
        raise _invalid("the dataset has no column besides the target", "feature_columns")
    unknown_slices = [c for c in request.evaluation_slices if c not in columns]
    if unknown_slices:
        raise _invalid(
            f"unknown evaluation slice column(s): {', '.join(unknown_slices)}",
            "evaluation_slices",
        )
    if dataset.rows < MIN_ROWS:
        raise _invalid(
            f"training needs at least {MIN_ROWS} rows; dataset '{dataset.name}' has {dataset.rows}",
            "dataset_id",
        )
    _check_algorithm(request, columns[request.target])
    register_as = request.register_as or default_model_name(dataset.name, request.target)
    if not MODEL_NAME.fullmatch(register_as):
        raise _invalid(
            "register_as must be a model name: 1-100 characters of a-z, 0-9, '.', '_' and '-', "
            "starting and ending with a letter or digit",
            "register_as",
        )
    payload = asdict(request)
    payload["register_as"] = register_as
    return payload


def _check_algorithm(request: TrainingRequest, target_dtype: str) -> None:
    """Unknown algorithm, unsupported task or hyperparameters sklearn rejects: 422.

    With `task=auto` the task is only known from the data; the hyperparameters must then be
    valid for at least one task the target's type allows.
    """
    try:
        algorithm = get_algorithm(request.algorithm)
    except TrainingError as exc:
        raise _invalid(str(exc), "algorithm") from exc
    tasks: list[Task]
    if request.task != "auto":
        tasks = [request.task]  # type: ignore[list-item]
    elif kind_of(target_dtype) == "numeric" and not target_dtype.startswith(("Int", "UInt")):
        tasks = ["regression"]
    elif kind_of(target_dtype) == "numeric":
        tasks = ["classification", "regression"]
    else:
        tasks = ["classification"]
    errors: list[ValidationFailed] = []
    for task in tasks:
        if task not in algorithm.tasks:
            message = (
                f"algorithm '{algorithm.name}' does not support {task}; it supports: "
                + ", ".join(algorithm.tasks)
            )
            errors.append(_invalid(message, "task"))
            continue
        try:
            algorithm.estimator(task, dict(request.hyperparameters), request.seed)
        except TrainingError as exc:
            errors.append(_invalid(str(exc), "hyperparameters"))
            continue
        return
    if len(errors) > 1:
        # An integer target under `auto` trains a classifier or a regressor depending on its
        # values, which only the job sees: name the error of each, so the one it trains is there.
        raise _invalid(
            "the hyperparameters fit neither task this target allows: "
            + "; ".join(
                f"as {task}: {error.message}" for task, error in zip(tasks, errors, strict=True)
            ),
            "hyperparameters",
        )
    raise errors[-1]


def default_model_name(dataset_name: str, target: str) -> str:
    """A registry-valid model name from the dataset and the target (`register_as` omitted)."""
    name = re.sub(r"[^a-z0-9._-]+", "-", f"{dataset_name}-{target}".lower()).strip("-._")
    return name[:100].rstrip("-._") or "model"


def training_view(job: Job) -> dict[str, Any]:
    """A training job as the API shows it: the request, progress, and the result when done."""
    view = job_view(job)
    result = view.pop("result") or {}
    training = result.get("training") or {}
    payload = dict(job.payload)
    started, finished = job.started_at, job.finished_at
    return {
        **{k: view[k] for k in ("id", "status", "progress", "error", "attempts", "max_attempts")},
        "cancel_requested": job.cancel_requested,
        "request": payload,
        "dataset_id": payload.get("dataset_id"),
        "algorithm": payload.get("algorithm"),
        "target": payload.get("target"),
        "model": result.get("model"),
        "model_version": result.get("model_version"),
        "experiment_id": result.get("experiment_id"),
        "task": training.get("task"),
        "metrics": training.get("metrics"),
        "slice_metrics": training.get("slice_metrics"),
        "confusion_matrix": training.get("confusion_matrix"),
        "classes": training.get("classes"),
        "features": training.get("features"),
        "dropped_features": training.get("dropped_features"),
        "training_seconds": training.get("duration_seconds"),
        "duration_seconds": (finished - started).total_seconds() if started and finished else None,
        "created_at": job.created_at,
        "started_at": started,
        "finished_at": finished,
    }


def _invalid(message: str, field_name: str) -> ValidationFailed:
    return ValidationFailed(message, details={"field": field_name})
