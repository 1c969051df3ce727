"""Feedback labels are any JSON value: numbers beyond a float or strings such as "1e999" are
accepted without a server error, and live performance stays a finite JSON answer."""

from collections.abc import Callable

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LinearRegression

from tests.conftest import TenantHandle


@pytest.mark.parametrize("label", ["9" * 400, '"1e999"', '"-inf"', '"NaN"'])
def test_an_out_of_range_regression_label_is_accepted_and_performance_stays_finite(
    make_tenant: Callable[..., TenantHandle], label: str
):
    tenant = make_tenant()
    features = np.random.default_rng(0).normal(size=(40, 2))
    model = LinearRegression().fit(features, features.sum(axis=1))
    with tenant.client() as owner:
        owner.create_model("sums")
        owner.upload_version("sums", sio.dumps(model), "skops")
        owner.deploy("sums", 1)
        prediction_id = owner.predict("sums", [[1.0, 2.0]])["prediction_ids"][0]
        item = f'{{"prediction_id": "{prediction_id}", "label": {label}}}'  # raw JSON number
        body = f'{{"feedback": [{item}]}}'
        answer = owner.request(
            "POST",
            "/models/sums/feedback",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert answer.json() == {"accepted": 1, "unknown_prediction_ids": []}
        windows = owner.performance("sums")["windows"]
    assert [w["labelled"] for w in windows] == [1, 1, 1]
    assert [w["mae"] for w in windows] == [None, None, None]
