"""Feature discovery: run it on a dataset, read the job and its report, wait for it."""

from typing import Any

from maestro.client.base import BaseClient
from maestro.client.training import ProgressCallback, wait_for_job


class DiscoveryMixin(BaseClient):
    def discover_features(self, dataset_id: str, target: str | None = None) -> dict[str, Any]:
        """Queue feature discovery; returns `{"id", "status": "queued"}`."""
        return self._json(
            "POST", f"/datasets/{dataset_id}/feature-discovery", json={"target": target}
        )

    def get_feature_discovery(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/feature-discovery/{job_id}")

    def wait_for_feature_discovery(
        self,
        job_id: str,
        *,
        timeout: float | None = 600.0,
        poll_interval: float = 0.5,
        on_progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        return wait_for_job(
            lambda: self.get_feature_discovery(job_id),
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
        )
