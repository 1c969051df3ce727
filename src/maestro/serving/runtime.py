"""Inside a worker: turn artifact bytes into a model and instances into predictions.

Both formats answer the same shapes: instances in, `(predictions, probabilities)` out, JSON-safe.
A model that knows its feature names (a platform input schema, `feature_names_in_`, or the named
inputs of an ONNX graph) takes instances as objects keyed by feature; a model fitted without
names takes instances as lists in training column order, and objects for it are refused rather
than matched by key order.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from maestro.ml.artifact_policy import ArchiveLimits, check_skops, uncompressed_size
from maestro.ml.errors import UntrustedArtifactError
from maestro.ml.json_safe import json_safe
from maestro.ml.prediction import predict as predict_frame
from maestro.ml.serialization import load_model
from maestro.serving.errors import ArtifactRefused, InvalidInstances

Rows = Sequence[Mapping[str, Any] | Sequence[Any]]


class LoadedModel(Protocol):
    size_bytes: int

    def predict(self, rows: Rows) -> tuple[list[Any], list[list[Any]] | None]: ...


def load(
    artifact_format: str,
    data: bytes,
    limits: ArchiveLimits,
    *,
    input_schema: Mapping[str, str] | None = None,
    feature_names: Sequence[str] | None = None,
) -> LoadedModel:
    if artifact_format == "skops":
        return SkopsModel(data, limits, input_schema)
    if artifact_format == "onnx":
        return OnnxModel(data, feature_names)
    raise ArtifactRefused(f"{artifact_format!r} artifacts are not served")


class SkopsModel:
    def __init__(
        self, data: bytes, limits: ArchiveLimits, input_schema: Mapping[str, str] | None
    ) -> None:
        try:
            check_skops(data, limits)  # again here: the API's check is not the only wall
            estimator = load_model(data)
        except UntrustedArtifactError as exc:
            raise ArtifactRefused(str(exc), getattr(exc, "details", None)) from exc
        except Exception as exc:  # a corrupt archive is bad input
            raise ArtifactRefused(
                f"the skops artifact cannot be loaded: {type(exc).__name__}"
            ) from exc
        if not callable(getattr(estimator, "predict", None)):
            raise ArtifactRefused("the skops artifact holds no estimator with a predict method")
        self.estimator = estimator
        self.input_schema = dict(input_schema) if input_schema else None
        names = getattr(estimator, "feature_names_in_", None)
        self.features = [str(n) for n in names] if names is not None else None
        self.size_bytes = uncompressed_size(data)

    def predict(self, rows: Rows) -> tuple[list[Any], list[list[Any]] | None]:
        named = self.input_schema is not None or self.features is not None
        _require_shape(rows, named=named)
        if self.input_schema is None and self.features is not None:
            _check_features(rows, self.features)  # type: ignore[arg-type]
        return predict_frame(self.estimator, rows, self.input_schema)


_ONNX_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(bool)": np.bool_,
    "tensor(string)": np.object_,
}


class OnnxModel:
    """An onnxruntime session on one thread; inputs by name, outputs as label + probabilities."""

    def __init__(self, data: bytes, feature_names: Sequence[str] | None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for a malformed graph
            raise ArtifactRefused(
                f"the ONNX model cannot be loaded: {str(exc).splitlines()[0][:300]}"
            ) from exc
        self.inputs = self.session.get_inputs()
        unsupported = [i.name for i in self.inputs if i.type not in _ONNX_DTYPES]
        if unsupported:
            raise ArtifactRefused(
                "the ONNX model has inputs of unsupported types", {"inputs": unsupported[:20]}
            )
        self.outputs = [o.name for o in self.session.get_outputs()]
        if len(self.inputs) == 1:  # one matrix: lists, or objects when names are known
            self.features = list(feature_names) if feature_names else None
        else:  # one input per feature, as skl2onnx writes for a frame
            self.features = [i.name for i in self.inputs]
        self.size_bytes = len(data)

    def predict(self, rows: Rows) -> tuple[list[Any], list[list[Any]] | None]:
        _require_shape(rows, named=self.features is not None)
        feeds = self._feeds(rows)
        try:
            results = self.session.run(self.outputs, feeds)
        except Exception as exc:
            raise InvalidInstances(
                "the instances do not fit the model's input",
                {"reason": str(exc).splitlines()[0][:500]},
            ) from exc
        predictions = np.asarray(results[0])
        if predictions.ndim == 2 and predictions.shape[1] == 1:
            predictions = predictions[:, 0]
        probabilities = None
        if len(results) > 1:
            second = results[1]
            if isinstance(second, list) and second and isinstance(second[0], dict):
                probabilities = [list(row.values()) for row in second]  # ZipMap output
            else:
                probabilities = np.asarray(second).tolist()
        return json_safe(predictions.tolist()), json_safe(probabilities)

    def _feeds(self, rows: Rows) -> dict[str, np.ndarray]:
        try:
            if len(self.inputs) == 1:
                (single,) = self.inputs
                if self.features is not None:
                    _check_features(rows, self.features)  # type: ignore[arg-type]
                    matrix = [[row[name] for name in self.features] for row in rows]  # type: ignore[index]
                else:
                    matrix = [list(row) for row in rows]  # type: ignore[arg-type]
                return {single.name: np.asarray(matrix, dtype=_ONNX_DTYPES[single.type])}
            _check_features(rows, self.features or [])  # type: ignore[arg-type]
            return {
                i.name: np.asarray(
                    [row[i.name] for row in rows],  # type: ignore[index]
                    dtype=_ONNX_DTYPES[i.type],
                ).reshape(-1, 1)
                for i in self.inputs
            }
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidInstances(
                "the instances do not fit the model's input", {"reason": str(exc)[:500]}
            ) from exc


def _require_shape(rows: Rows, *, named: bool) -> None:
    """Objects for a model with feature names, lists for one without; never a mix."""
    want = Mapping if named else (list, tuple)
    for index, row in enumerate(rows):
        if not isinstance(row, want):
            if named:
                message = "this model takes each instance as an object of feature name -> value"
            else:
                message = (
                    "this model was fitted without feature names: send each instance as a list "
                    "of values in training column order"
                )
            raise InvalidInstances(message, {"instance": index})


def _check_features(rows: Sequence[Mapping[str, Any]], required: list[str]) -> None:
    for index, row in enumerate(rows):
        missing = [n for n in required if n not in row]
        if missing:
            raise InvalidInstances(
                f"instance {index} lacks features the model needs",
                {"instance": index, "missing": missing[:50], "required": required[:200]},
            )
