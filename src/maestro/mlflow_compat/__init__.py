"""The MLflow-compatible REST API: existing MLflow client code logs to Maestro unchanged.

This package owns the MLflow surface (`/api/2.0/mlflow/...` and `/api/2.0/mlflow-artifacts/...`):
MLflow's JSON shapes, its filter strings and its error codes, translated onto Maestro's own
services so tenancy, roles, quotas, rate limits and metrics apply exactly as in Maestro's API.

The mapping, which is the invariant everything here keeps:

- an MLflow *experiment* is a Maestro experiment group (`experiments.group` is its name);
- an MLflow *run* is a Maestro experiment (same id, params, tags, metric points and status:
  RUNNING/FINISHED/FAILED/KILLED = running/completed/failed/cancelled);
- an MLflow *registered model* is a Maestro model, and a *model version* is a Maestro version
  with format `mlflow` whose artifact is a zip of the MLflow model directory (never unpickled
  by the server); `metadata.mlflow` records its source, run, logged model and, when the
  directory holds an ONNX or skops file, which file is servable and its format;
- run artifacts go through the artifact proxy into the tenant's part of the artifact store and
  count in its `storage_bytes` quota.
"""
