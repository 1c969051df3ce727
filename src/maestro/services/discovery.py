"""Feature discovery jobs: queue one for a dataset, read it, and find a dataset's latest report.

The work is `maestro.jobs.kinds.discovery`; the report (`DiscoveryReport.to_dict()`) is stored
as the job's result, so the latest succeeded job of a dataset is its current report (model cards
read it).
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maestro.db.models import Job
from maestro.errors import ValidationFailed
from maestro.services.datasets import DatasetService
from maestro.services.jobs import JobService, job_view
from maestro.services.pagination import Page
from maestro.services.principal import Principal

DISCOVERY_KIND = "feature_discovery"


class DiscoveryService:
    def __init__(self, jobs: JobService, datasets: DatasetService) -> None:
        self.jobs = jobs
        self.datasets = datasets

    def submit(
        self, session: Session, principal: Principal, dataset_id: str, target: str | None
    ) -> Job:
        principal.require_write()
        dataset = self.datasets.get(session, principal, dataset_id)
        columns = [c["name"] for c in dataset.columns]
        if target is not None and target not in columns:
            raise ValidationFailed(
                f"target column '{target}' is not in the dataset; columns: {', '.join(columns)}",
                details={"field": "target"},
            )
        payload = {"dataset_id": dataset.id, "target": target}
        return self.jobs.submit(session, principal, DISCOVERY_KIND, payload)

    def get(self, session: Session, principal: Principal, job_id: str) -> dict[str, Any]:
        return discovery_view(self.jobs.get(session, principal, job_id, kind=DISCOVERY_KIND))

    def list(
        self,
        session: Session,
        principal: Principal,
        *,
        limit: int,
        cursor: str | None,
    ) -> Page[dict[str, Any]]:
        page = self.jobs.list(session, principal, kind=DISCOVERY_KIND, limit=limit, cursor=cursor)
        return Page(items=[discovery_view(j) for j in page.items], next_cursor=page.next_cursor)

    def latest_report(
        self, session: Session, principal: Principal, dataset_id: str
    ) -> dict[str, Any] | None:
        """The report of the dataset's most recently finished successful discovery, if any."""
        job = session.scalar(
            select(Job)
            .where(
                Job.tenant_id == principal.require_tenant(),
                Job.kind == DISCOVERY_KIND,
                Job.status == "succeeded",
                Job.payload["dataset_id"].as_string() == dataset_id,
            )
            .order_by(Job.finished_at.desc())
            .limit(1)
        )
        return (job.result or {}).get("report") if job is not None else None


def discovery_view(job: Job) -> dict[str, Any]:
    view = job_view(job)
    result = view.pop("result") or {}
    return {
        **{k: view[k] for k in ("id", "status", "progress", "error", "attempts", "max_attempts")},
        "dataset_id": job.payload.get("dataset_id"),
        "target": job.payload.get("target"),
        "report": result.get("report"),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
