"""What a skops artifact may contain before it is ever loaded: archive limits and parameters.

Types are not enough: estimators that skops trusts by default have parameters that read files
(`CountVectorizer(input="filename")` opens the path it is asked to predict on), cache to disk
(`Pipeline(memory=...)`), fork (`n_jobs`) or call arbitrary functions (`FunctionTransformer(func=
numpy.log)` is made only of trusted types). This module inspects the archive's `schema.json`, the
description skops builds objects from, without constructing anything, so the API process can run
it at upload and at deploy on untrusted bytes.

Invariants, each enforced on every node of the schema tree:

* the archive has at most `max_entries` entries, at most `max_uncompressed_bytes` in total and
  no array file above `max_array_bytes` (zipfile refuses to inflate an entry past its declared
  size, so the declared sizes bound what loading can allocate);
* no value anywhere is a function, method, `functools.partial` or operator function, and a type
  only when it comes from numpy, scipy, scikit-learn or the builtins;
* text vectorizers read `input="content"` only; `memory` is `None`; `n_jobs` is `None` or `1`.

The audit behind these rules (every parameter of every estimator skops trusts) is in
`docs/model-artifact-policy.md`, and `tests/ml/test_artifact_policy.py` fails when a new
scikit-learn adds a parameter that the audit has not classified.
"""

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from maestro.ml.errors import UntrustedArtifactError

SCHEMA_ENTRY = "schema.json"
#: skops node loaders whose value is something callable.
CALLABLE_LOADERS = frozenset({"FunctionNode", "MethodNode", "PartialNode", "OperatorFuncNode"})
#: Packages whose types may appear as values: a `dtype`, or the class a reduce node rebuilds.
TYPE_PACKAGES = ("numpy", "builtins", "scipy", "sklearn")
TEXT_MODULE = "sklearn.feature_extraction.text"


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on a skops archive, checked from its central directory before inflating."""

    max_entries: int = 10_000
    max_uncompressed_bytes: int = 1024**3
    max_array_bytes: int = 512 * 1024**2


class ArtifactPolicyError(UntrustedArtifactError):
    """The artifact breaks the policy; `details` names the estimator and parameter."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = {k: v for k, v in details.items() if v is not None}


def uncompressed_size(data: bytes) -> int:
    """Total declared size of a zip's entries (what loading it may allocate)."""
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


def check_skops(data: bytes, limits: ArchiveLimits) -> None:
    """Refuse an archive over the limits or with a forbidden parameter; load nothing."""
    check_parameters(read_schema(data, limits))


def read_schema(data: bytes, limits: ArchiveLimits) -> dict[str, Any]:
    """The parsed `schema.json`, after the entry-count and size checks of the archive."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UntrustedArtifactError(f"not a readable skops archive: {exc}") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise ArtifactPolicyError(
                f"the archive has {len(infos)} entries, more than the limit of "
                f"{limits.max_entries}",
                entries=len(infos),
                limit=limits.max_entries,
            )
        total = sum(info.file_size for info in infos)
        if total > limits.max_uncompressed_bytes:
            raise ArtifactPolicyError(
                f"the archive inflates to {total} bytes, more than the limit of "
                f"{limits.max_uncompressed_bytes}",
                uncompressed_bytes=total,
                limit=limits.max_uncompressed_bytes,
            )
        for info in infos:
            if info.filename != SCHEMA_ENTRY and info.file_size > limits.max_array_bytes:
                raise ArtifactPolicyError(
                    f"array {info.filename!r} holds {info.file_size} bytes, more than the limit "
                    f"of {limits.max_array_bytes}",
                    entry=info.filename[:200],
                    limit=limits.max_array_bytes,
                )
        try:
            schema = json.loads(archive.read(SCHEMA_ENTRY))
        except KeyError as exc:
            raise UntrustedArtifactError("not a skops archive: it has no schema.json") from exc
        except (zipfile.BadZipFile, OSError, ValueError, RecursionError) as exc:
            raise UntrustedArtifactError(f"the skops schema cannot be read: {exc}") from exc
    if not isinstance(schema, dict):
        raise UntrustedArtifactError("the skops schema is not an object")
    return schema


def check_parameters(schema: dict[str, Any]) -> None:
    """Apply the parameter rules to every node of a skops schema tree."""
    for node, estimator, parameter in _walk(schema):
        loader = node.get("__loader__")
        where = {"estimator": estimator, "parameter": parameter}
        if loader in CALLABLE_LOADERS:
            name = f"{node.get('__module__')}.{node.get('__class__')}"
            raise ArtifactPolicyError(
                f"{_short(estimator)}.{parameter} is a callable ({name}); callables are never "
                "served",
                **where,
                value=name[:200],
            )
        if loader == "TypeNode":
            module = str(node.get("__module__", ""))
            if module.split(".")[0] not in TYPE_PACKAGES:
                raise ArtifactPolicyError(
                    f"{_short(estimator)}.{parameter} is a type from outside numpy, scipy and "
                    "scikit-learn",
                    **where,
                )
        if loader == "ObjectNode":
            _check_estimator(node)


def _check_estimator(node: dict[str, Any]) -> None:
    module, cls = str(node.get("__module__")), str(node.get("__class__"))
    estimator = f"{module}.{cls}"
    state = _attributes(node)
    rules: list[tuple[str, tuple[Any, ...], str]] = [
        ("memory", (None,), "caches to disk"),
        ("n_jobs", (None, 1), "starts processes"),
    ]
    if module.startswith(TEXT_MODULE):
        rules.append(("input", ("content",), "reads files named in the request"))
    for parameter, allowed, why in rules:
        if parameter not in state:
            continue
        value = _json_value(state[parameter])
        if value is _NOT_JSON or value not in allowed or isinstance(value, bool):
            shown = "a non-literal value" if value is _NOT_JSON else repr(value)[:100]
            raise ArtifactPolicyError(
                f"{cls}.{parameter}={shown} {why}; only "
                + " or ".join(repr(a) for a in allowed)
                + " is served",
                estimator=estimator,
                parameter=parameter,
                value=None if value is _NOT_JSON else value,
            )


_NOT_JSON = object()


def _json_value(node: Any) -> Any:
    if isinstance(node, dict) and node.get("__loader__") == "JsonNode":
        try:
            return json.loads(node.get("content", "null"))
        except (TypeError, ValueError):
            return _NOT_JSON
    return _NOT_JSON


def _attributes(node: dict[str, Any]) -> dict[str, Any]:
    """An object node's state: the `content` of its dict node, or nothing."""
    content = node.get("content")
    if isinstance(content, dict) and content.get("__loader__") == "DictNode":
        inner = content.get("content")
        if isinstance(inner, dict):
            return inner
    return {}


def _walk(root: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, str]]:
    """Every node with a loader, with its nearest enclosing estimator and attribute name.

    Iterative, so a schema nested thousands deep cannot exhaust the stack.
    """
    stack: list[tuple[Any, str, str]] = [(root, "(root)", "(root)")]
    while stack:
        node, estimator, parameter = stack.pop()
        if isinstance(node, list):
            stack.extend((item, estimator, parameter) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        if "__loader__" in node:
            yield node, estimator, parameter
            if node["__loader__"] == "ObjectNode":
                estimator = f"{node.get('__module__')}.{node.get('__class__')}"
                attributes = _attributes(node)
                if attributes:
                    for key, value in attributes.items():
                        stack.append((value, estimator, str(key)[:100]))
                    continue
        for key, value in node.items():
            if key in ("__class__", "__module__", "__loader__", "__id__", "is_json"):
                continue
            stack.append((value, estimator, parameter))


def _short(estimator: str) -> str:
    return estimator.rsplit(".", 1)[-1]


_CALLABLE = "refused when the value is a callable (any function, method or partial)"
#: Every parameter of a skops-trusted estimator whose documentation mentions callables, files,
#: caches, joblib or processes, with how the policy handles it. A test keeps it complete.
AUDIT: dict[str, str] = {
    "input": "text vectorizers: only 'content' (else predict opens the path it is sent)",
    "memory": "only None (a joblib.Memory or a path caches fitted steps to disk)",
    "n_jobs": "only None or 1 (joblib starts worker processes)",
    "pre_dispatch": "only used with n_jobs > 1, which is refused",
    "encoding": "a codec name used to decode bytes already in the request; never opens a file",
    "decode_error": "how undecodable bytes are handled; no I/O",
    "cache_size": "SVC kernel cache in memory (bounded by the worker's memory limit); no disk",
    "verbose": "progress messages on the worker's stderr; no file",
    "copy": "in-memory copies; no I/O",
    **{
        name: _CALLABLE
        for name in [
            "affinity",
            "analyzer",
            "callback",
            "connectivity",
            "feature_name_combiner",
            "feature_names_out",
            "fun",
            "func",
            "importance_getter",
            "init",
            "inverse_func",
            "is_data_valid",
            "is_model_valid",
            "kernel",
            "kernel_params",
            "loss",
            "max_features",
            "metric",
            "n_init",
            "ngram_range",
            "oob_score",
            "optimizer",
            "pooling_func",
            "preprocessor",
            "refit",
            "score_func",
            "scoring",
            "strategy",
            "strip_accents",
            "tokenizer",
            "transformers",
            "verbose_feature_names_out",
            "weights",
        ]
    },
}
