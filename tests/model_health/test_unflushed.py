"""Feedback and drift runs see the predictions this process has not flushed yet (the writer
thread is made to wait an hour here), without waiting on an open transaction."""

import time

import pytest

from maestro.settings import Settings
from tests.model_health.conftest import generated, instances


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"prediction_log_flush_seconds": 3600.0})


def test_a_drift_run_right_after_predictions_compares_them(server, owner, trained_model):
    owner.predict("scorer", instances(generated(250, seed=2)))
    started = time.monotonic()
    job = owner.run_drift("scorer")
    assert time.monotonic() - started < 5  # no wait on a write lock held by the request
    run = owner.wait_for_drift_run("scorer", job["id"], timeout=120)
    assert (run["status"], run["current_rows"]) == ("completed", 250)


def test_feedback_right_after_a_prediction_finds_it(server, owner, trained_model):
    response = owner.predict("scorer", instances(generated(3, seed=2)))
    result = owner.feedback("scorer", {pid: 1 for pid in response["prediction_ids"]})
    assert result == {"accepted": 3, "unknown_prediction_ids": []}
