"""Training jobs: submit, read, list, cancel, and wait with a progress callback."""

import time
from collections.abc import Callable
from typing import Any

from maestro.client.base import BaseClient

TERMINAL = ("succeeded", "failed", "cancelled")
ProgressCallback = Callable[[dict[str, Any]], None]


def wait_for_job(
    read: Callable[[], dict[str, Any]],
    *,
    timeout: float | None,
    poll_interval: float,
    on_progress: ProgressCallback | None,
) -> dict[str, Any]:
    """Poll `read` until the job is terminal; `on_progress` sees every state read."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        job = read()
        if on_progress is not None:
            on_progress(job)
        if job["status"] in TERMINAL:
            return job
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"job {job['id']} is still {job['status']} after {timeout}s")
        time.sleep(poll_interval)


class TrainingMixin(BaseClient):
    def train(
        self,
        dataset_id: str,
        target: str,
        algorithm: str,
        *,
        task: str = "auto",
        hyperparameters: dict[str, Any] | None = None,
        feature_columns: list[str] | None = None,
        test_size: float = 0.2,
        seed: int = 0,
        evaluation_slices: list[str] | None = None,
        register_as: str | None = None,
    ) -> dict[str, Any]:
        """Queue a training job; returns `{"id", "status": "queued"}`."""
        body: dict[str, Any] = {
            "dataset_id": dataset_id,
            "target": target,
            "algorithm": algorithm,
            "task": task,
            "hyperparameters": hyperparameters or {},
            "test_size": test_size,
            "seed": seed,
            "evaluation_slices": evaluation_slices or [],
        }
        if feature_columns is not None:
            body["feature_columns"] = feature_columns
        if register_as is not None:
            body["register_as"] = register_as
        return self._json("POST", "/training-jobs", json=body)

    def get_training_job(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/training-jobs/{job_id}")

    def list_training_jobs(self) -> list[dict[str, Any]]:
        return list(self._paginate("/training-jobs"))

    def cancel_training_job(self, job_id: str) -> dict[str, Any]:
        return self._json("POST", f"/training-jobs/{job_id}/cancel")

    def wait_for_training_job(
        self,
        job_id: str,
        *,
        timeout: float | None = 600.0,
        poll_interval: float = 0.5,
        on_progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """Block until the job succeeded, failed or was cancelled; returns the final job."""
        return wait_for_job(
            lambda: self.get_training_job(job_id),
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
        )
