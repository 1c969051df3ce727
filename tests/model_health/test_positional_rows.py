"""Predictions sent as positional rows (lists, for a model fitted without feature names) are
logged like named rows: one tenant's list rows never cost another tenant its logged predictions,
and drift names them by the version's declared features."""

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from maestro.client import MaestroClient
from maestro.settings import Settings
from tests.conftest import TenantHandle


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No timed flushes: feedback's own flush writes every buffered request in one batch."""
    return settings.model_copy(update={"prediction_log_flush_seconds": 3600.0})


def _positional_model(client: MaestroClient, name: str, metadata: dict[str, Any]) -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 2))
    model = LogisticRegression().fit(features, (features[:, 0] > 0).astype(int))
    client.create_model(name)
    client.upload_version(name, sio.dumps(model), "skops", metadata)
    client.deploy(name, 1)


def test_list_rows_of_one_tenant_do_not_drop_another_tenants_logged_predictions(
    make_tenant: Callable[..., TenantHandle],
):
    first, second = make_tenant(), make_tenant()
    with first.client() as alice, second.client() as bob:
        _positional_model(alice, "positional", {})
        _positional_model(bob, "positional", {})
        asked = alice.predict("positional", [[1.0, 2.0], [-3.0, 0.5]])
        answered = bob.predict("positional", [[0.5, 0.5]])
        before = bob.usage(second.slug)["resources"]["storage_bytes"]["used"]

        # Bob's feedback flushes the buffer holding both tenants' list rows.
        result = bob.feedback("positional", {answered["prediction_ids"][0]: 1})
        assert result == {"accepted": 1, "unknown_prediction_ids": []}
        assert bob.usage(second.slug)["resources"]["storage_bytes"]["used"] > before
        labels = dict.fromkeys(asked["prediction_ids"], 1)
        assert alice.feedback("positional", labels)["accepted"] == 2


def test_drift_names_positional_rows_by_the_versions_declared_features(
    make_tenant: Callable[..., TenantHandle],
):
    tenant = make_tenant()
    rng = np.random.default_rng(1)
    reference = pl.DataFrame({"f0": rng.normal(size=400), "f1": rng.normal(size=400)})
    with tenant.client() as owner:
        _positional_model(owner, "positional", {"features": ["f0", "f1"]})
        dataset = owner.upload_dataset(reference.write_csv().encode(), "ref", filename="ref.csv")
        owner.set_reference("positional", 1, dataset["id"])
        shifted = np.column_stack([rng.normal(3.0, 1.0, 300), rng.normal(size=300)])
        owner.predict("positional", shifted.tolist())
        owner.run_drift("positional")
        deadline = time.monotonic() + 120
        while not (runs := owner.drift_runs("positional")):
            assert time.monotonic() < deadline, "no drift run recorded"
            time.sleep(0.2)
    run = runs[-1]
    assert run["status"] == "completed", run["message"]
    assert run["current_rows"] == 300
    assert run["drifted"] == ["f0"]
    assert run["prediction"] is not None  # the reference sample was scored in a serving worker
