"""Experiments: create, list, read, finish, delete, log and read metrics."""

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from maestro.client.base import BaseClient


class ExperimentsMixin(BaseClient):
    def create_experiment(
        self,
        name: str,
        *,
        group: str | None = None,
        params: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        body = {"name": name, "group": group, "params": params or {}, "tags": tags or {}}
        return self._json("POST", "/experiments", json=body)

    def get_experiment(self, experiment_id: str) -> dict[str, Any]:
        return self._json("GET", f"/experiments/{experiment_id}")

    def list_experiments(
        self, *, group: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"group": group, "status": status}.items() if v is not None}
        return list(self._paginate("/experiments", params))

    def update_experiment(
        self, experiment_id: str, *, status: str | None = None, tags: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = {k: v for k, v in {"status": status, "tags": tags}.items() if v is not None}
        return self._json("PATCH", f"/experiments/{experiment_id}", json=body)

    def finish_experiment(self, experiment_id: str, status: str = "completed") -> dict[str, Any]:
        return self.update_experiment(experiment_id, status=status)

    def delete_experiment(self, experiment_id: str) -> None:
        self.request("DELETE", f"/experiments/{experiment_id}")

    def log_metrics(self, experiment_id: str, metrics: Iterable[dict[str, Any]]) -> int:
        """Send up to 1,000 points `{"name", "value", "step"?, "timestamp"?}` in one request."""
        points = [
            {**p, "timestamp": p["timestamp"].isoformat()}
            if isinstance(p.get("timestamp"), datetime)
            else p
            for p in metrics
        ]
        return self._json(
            "POST", f"/experiments/{experiment_id}/metrics", json={"metrics": points}
        )["logged"]

    def log_metric(self, experiment_id: str, name: str, value: float, *, step: int = 0) -> int:
        return self.log_metrics(experiment_id, [{"name": name, "value": value, "step": step}])

    def iter_metric_history(
        self, experiment_id: str, *, name: str | None = None, page_size: int = 1000
    ) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"limit": page_size}
        if name is not None:
            params["name"] = name
        return self._paginate(f"/experiments/{experiment_id}/metrics", params)

    def metric_history(
        self, experiment_id: str, *, name: str | None = None
    ) -> list[dict[str, Any]]:
        """Every point (of one series, or all), ordered by step then timestamp."""
        return list(self.iter_metric_history(experiment_id, name=name))
