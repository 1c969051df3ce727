"""The artifact policy: forbidden parameters and archive bombs are refused before loading."""

import importlib
import inspect
import io
import re
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from skops.io._trusted_types import SKLEARN_ESTIMATOR_TYPE_NAMES

from maestro.ml.artifact_policy import AUDIT, ArchiveLimits, ArtifactPolicyError, check_skops
from maestro.ml.errors import UntrustedArtifactError
from maestro.ml.serialization import dump_model

LIMITS = ArchiveLimits()
TEXTS = ["red apple", "green pear", "red pear"]


def _refusal(model) -> ArtifactPolicyError:
    with pytest.raises(ArtifactPolicyError) as refused:
        check_skops(dump_model(model), LIMITS)
    return refused.value


def test_a_vectorizer_that_reads_files_is_refused_naming_estimator_and_parameter():
    model = Pipeline([("v", CountVectorizer(input="filename"))]).fit(["/etc/hostname"])
    refused = _refusal(model)
    assert refused.details["estimator"] == "sklearn.feature_extraction.text.CountVectorizer"
    assert refused.details["parameter"] == "input"
    assert refused.details["value"] == "filename"


def test_a_tfidf_vectorizer_reading_file_objects_is_refused():
    model = TfidfVectorizer(input="file")
    assert _refusal(model).details["parameter"] == "input"


def test_a_pipeline_that_caches_to_disk_is_refused(tmp_path):
    x = np.arange(12.0).reshape(6, 2)
    model = Pipeline(
        [("s", StandardScaler()), ("m", LogisticRegression())], memory=str(tmp_path)
    ).fit(x, [0, 1] * 3)
    refused = _refusal(model)
    assert (refused.details["estimator"], refused.details["parameter"]) == (
        "sklearn.pipeline.Pipeline",
        "memory",
    )


def test_an_estimator_that_starts_processes_is_refused():
    x = np.arange(12.0).reshape(6, 2)
    model = RandomForestClassifier(n_estimators=2, n_jobs=-1).fit(x, [0, 1] * 3)
    refused = _refusal(model)
    assert refused.details["parameter"] == "n_jobs" and refused.details["value"] == -1


def test_a_callable_made_of_trusted_types_is_refused():
    model = Pipeline([("log", FunctionTransformer(np.log1p)), ("m", LogisticRegression())])
    refused = _refusal(model.fit(np.arange(12.0).reshape(6, 2), [0, 1] * 3))
    assert refused.details["parameter"] == "func"
    assert refused.details["estimator"].endswith("FunctionTransformer")


def test_a_callable_column_selector_deep_in_a_column_transformer_is_refused():
    model = ColumnTransformer([("s", StandardScaler(), np.flatnonzero)])
    assert _refusal(model).details["estimator"].endswith("ColumnTransformer")


def test_ordinary_fitted_pipelines_pass():
    x = np.arange(12.0).reshape(6, 2)
    check_skops(
        dump_model(
            Pipeline([("s", StandardScaler()), ("m", LogisticRegression())]).fit(x, [0, 1] * 3)
        ),
        LIMITS,
    )
    check_skops(
        dump_model(RandomForestClassifier(n_estimators=3, n_jobs=1).fit(x, [0, 1] * 3)), LIMITS
    )
    check_skops(dump_model(CountVectorizer().fit(TEXTS)), LIMITS)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_from_its_declared_sizes():
    bomb = _zip({"schema.json": b"{}", "a.npy": bytes(200 * 1024**2)})
    assert len(bomb) < 1024**2
    with pytest.raises(ArtifactPolicyError) as refused:
        check_skops(bomb, ArchiveLimits(max_uncompressed_bytes=100 * 1024**2))
    assert refused.value.details["limit"] == 100 * 1024**2


def test_an_array_above_the_array_limit_is_refused():
    archive = _zip({"schema.json": b"{}", "big.npy": bytes(2048)})
    with pytest.raises(ArtifactPolicyError) as refused:
        check_skops(archive, ArchiveLimits(max_array_bytes=1024))
    assert refused.value.details["entry"] == "big.npy"


def test_an_archive_with_too_many_entries_is_refused():
    archive = _zip({"schema.json": b"{}", **{f"{i}.npy": b"" for i in range(20)}})
    with pytest.raises(ArtifactPolicyError) as refused:
        check_skops(archive, ArchiveLimits(max_entries=10))
    assert refused.value.details["entries"] == 21


def test_a_schema_nested_beyond_the_parser_is_refused_not_crashed():
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    with pytest.raises(UntrustedArtifactError):
        check_skops(_zip({"schema.json": deep}), LIMITS)


_RISKY_DOC = re.compile(r"callable|\bfiles?\b|filename|joblib|director|cache|socket|url|fork", re.I)


def test_every_risky_parameter_of_every_trusted_estimator_is_audited():
    """A new scikit-learn parameter mentioning files, callables or processes fails this test."""
    unaudited: dict[str, str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for full in SKLEARN_ESTIMATOR_TYPE_NAMES:
            module, _, name = full.rpartition(".")
            cls = getattr(importlib.import_module(module), name)
            doc = cls.__doc__ or ""
            for parameter in inspect.signature(cls.__init__).parameters:
                block = re.search(
                    rf"^ {{4}}{re.escape(parameter)} *:(.*?)(?=^ {{4}}\w+ *:|\Z)", doc, re.M | re.S
                )
                if block and _RISKY_DOC.search(block.group(1)) and parameter not in AUDIT:
                    unaudited[parameter] = full
    assert unaudited == {}
