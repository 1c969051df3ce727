"""Which file of an MLflow model directory Maestro's predict may serve."""

from maestro.mlflow_compat.models import Servable, find_servable


def test_the_onnx_or_skops_file_of_a_model_directory_is_servable():
    assert find_servable(["MLmodel", "conda.yaml", "model.onnx"]) == Servable("model.onnx", "onnx")
    assert find_servable(["MLmodel", "model.skops"]) == Servable("model.skops", "skops")
    assert find_servable(["MLmodel", "data/deep/x.onnx", "top.skops"]) == Servable(
        "top.skops", "skops"
    )


def test_a_pickled_model_directory_has_nothing_servable():
    assert find_servable(["MLmodel", "model.pkl", "python_env.yaml"]) is None
