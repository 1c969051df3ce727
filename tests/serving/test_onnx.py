"""ONNX versions deploy and predict in the same sandboxed workers, with the skops shapes."""

import numpy as np
import pytest
from skl2onnx import to_onnx
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression

from maestro.client import MaestroAPIError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(400, 4))
    return x, (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int), x @ [1.5, -2.0, 0.5, 3.0] + 7.0


def test_a_converted_classifier_predicts_like_the_original(owner, data):
    x, labels, _ = data
    model = RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0).fit(x, labels)
    onnx = to_onnx(model, x[:1].astype(np.float32), options={"zipmap": False}).SerializeToString()
    owner.create_model("forest")
    owner.upload_version("forest", onnx, "onnx", {"feature_names": ["a", "b", "c", "d"]})
    assert owner.deploy("forest", 1)["version"] == 1
    rows = x[:50].astype(np.float32)
    by_name = owner.predict("forest", [dict(zip("abcd", map(float, r), strict=True)) for r in rows])
    assert by_name["predictions"] == model.predict(rows).tolist()
    np.testing.assert_allclose(by_name["probabilities"], model.predict_proba(rows), atol=1e-5)


def test_a_converted_regressor_predicts_like_the_original(owner, data):
    x, _, target = data
    model = LinearRegression().fit(x, target)
    onnx = to_onnx(model, x[:1]).SerializeToString()  # float64 input
    owner.create_model("linear")
    owner.upload_version("linear", onnx, "onnx")
    owner.deploy("linear", 1)
    served = owner.predict("linear", x[:30].tolist())
    np.testing.assert_allclose(served["predictions"], model.predict(x[:30]), atol=1e-5)
    assert served["probabilities"] is None


def test_malformed_onnx_is_refused_at_deploy(owner):
    owner.create_model("broken")
    owner.upload_version("broken", b"\x08\x07not a graph at all", "onnx")
    with pytest.raises(MaestroAPIError) as refused:
        owner.deploy("broken", 1)
    assert (refused.value.status_code, refused.value.code) == (400, "unsupported_artifact")
    assert owner.get_model("broken")["deployment"] is None


def test_an_onnx_graph_pointing_at_an_external_file_is_refused_at_deploy(owner):
    from onnx import TensorProto, helper

    weights = helper.make_tensor("W", TensorProto.FLOAT, [4, 1], [1.0] * 4)
    weights.ClearField("float_data")
    weights.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "etc/hostname"), ("offset", "0"), ("length", "16")):
        entry = weights.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"])],
        "reads-a-file",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    owner.create_model("external")
    owner.upload_version("external", model.SerializeToString(), "onnx")
    with pytest.raises(MaestroAPIError) as refused:
        owner.deploy("external", 1)
    assert (refused.value.status_code, refused.value.code) == (400, "unsupported_artifact")
