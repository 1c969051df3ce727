"""Artifacts: skops round-trips, untrusted content and pickle/joblib bytes are refused unloaded."""

import io
import pickle
import zipfile

import joblib
import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from maestro.ml.errors import UntrustedArtifactError
from maestro.ml.serialization import dump_model, is_pickle_like, load_model, sniff_format


class Exploit:
    """Would run code if unpickled: its reduce calls `record`."""

    def __reduce__(self):
        return (record, ("unpickled",))


CALLS: list[str] = []


def record(value: str) -> str:
    CALLS.append(value)
    return value


def _fitted() -> LogisticRegression:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    return LogisticRegression().fit(x, x[:, 0] > 0)


def test_skops_round_trip_predicts_identically():
    model = _fitted()
    x = np.random.default_rng(1).normal(size=(10, 3))

    loaded = load_model(dump_model(model))

    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert np.allclose(loaded.predict_proba(x), model.predict_proba(x))


def test_skops_file_with_an_untrusted_type_is_refused():
    data = sio.dumps({"model": _fitted(), "payload": Exploit()})

    with pytest.raises(UntrustedArtifactError, match="untrusted types"):
        load_model(data)
    assert CALLS == []


@pytest.mark.parametrize("protocol", range(0, 6))
def test_pickle_bytes_are_recognised_and_never_loaded(protocol):
    data = pickle.dumps(Exploit(), protocol=protocol)

    assert sniff_format(data) == "pickle"
    assert is_pickle_like(data)
    with pytest.raises(UntrustedArtifactError, match="pickle"):
        load_model(data)
    assert CALLS == []


@pytest.mark.parametrize("compress", [0, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("lzma", 3)])
def test_joblib_bytes_are_recognised_and_never_loaded(compress):
    buffer = io.BytesIO()
    joblib.dump(_fitted(), buffer, compress=compress)
    data = buffer.getvalue()

    assert is_pickle_like(data)
    with pytest.raises(UntrustedArtifactError):
        load_model(data)


def test_other_bytes_are_unknown_and_refused():
    assert sniff_format(b"\x08\x01onnx-ish") == "unknown"
    assert not is_pickle_like(b"")
    with pytest.raises(UntrustedArtifactError):
        load_model(b"not a model")


def test_corrupt_zip_is_refused_with_a_clear_reason():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("schema.json", "{not json")

    with pytest.raises(UntrustedArtifactError, match="skops"):
        load_model(buffer.getvalue())
