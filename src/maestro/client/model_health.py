"""Model health: monitoring settings, reference data, feedback, live performance, drift."""

import time
from collections.abc import Iterable, Mapping
from typing import Any

from maestro.client.base import BaseClient


class ModelHealthMixin(BaseClient):
    def monitoring(self, name: str) -> dict[str, Any]:
        return self._json("GET", f"/models/{name}/monitoring")

    def set_monitoring(self, name: str, *, log_sample_rate: float | None) -> dict[str, Any]:
        """Set the share of predict requests logged (0 turns logging off, None = default)."""
        body = {"log_sample_rate": log_sample_rate}
        return self._json("PUT", f"/models/{name}/monitoring", json=body)

    def reference(self, name: str, version: int | str) -> dict[str, Any]:
        return self._json("GET", f"/models/{name}/versions/{version}/reference")

    def set_reference(self, name: str, version: int | str, dataset_id: str) -> dict[str, Any]:
        body = {"dataset_id": dataset_id}
        return self._json("PUT", f"/models/{name}/versions/{version}/reference", json=body)

    def feedback(
        self, name: str, labels: Mapping[str, Any] | Iterable[tuple[str, Any]]
    ) -> dict[str, Any]:
        """True labels for logged predictions: {prediction_id: label} or (id, label) pairs."""
        pairs = labels.items() if isinstance(labels, Mapping) else labels
        body = {"feedback": [{"prediction_id": i, "label": label} for i, label in pairs]}
        return self._json("POST", f"/models/{name}/feedback", json=body)

    def performance(self, name: str) -> dict[str, Any]:
        return self._json("GET", f"/models/{name}/performance")

    def drift_runs(self, name: str) -> list[dict[str, Any]]:
        """Every drift run of the model, oldest first."""
        return list(self._paginate(f"/models/{name}/drift"))

    def run_drift(self, name: str) -> dict[str, Any]:
        """Queue a drift run now; returns the job (poll `drift_runs` for its result)."""
        return self._json("POST", f"/models/{name}/drift/run")

    def wait_for_drift_run(
        self, name: str, job_id: str, *, timeout: float = 300.0, poll_interval: float = 0.25
    ) -> dict[str, Any]:
        """The drift run that job `job_id` stored (every run is stored, failed ones too)."""
        deadline = time.monotonic() + timeout
        while True:
            for run in self.drift_runs(name):
                if run["job_id"] == job_id:
                    return run
            if time.monotonic() > deadline:
                raise TimeoutError(f"drift job {job_id} stored no run within {timeout}s")
            time.sleep(poll_interval)
