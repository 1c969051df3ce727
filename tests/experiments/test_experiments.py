"""Experiments: lifecycle, status transitions, batch metric logging, history, isolation."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from maestro.client import ConflictError, NotFoundError, PermissionDeniedError, ValidationError


def test_experiment_lifecycle(owner):
    created = owner.create_experiment(
        "baseline", group="churn", params={"max_depth": 3}, tags={"team": "ml"}
    )
    assert created["status"] == "running" and created["finished_at"] is None
    assert created["params"] == {"max_depth": 3} and created["tags"] == {"team": "ml"}
    assert created["latest_metrics"] == {}

    assert (
        owner.log_metrics(
            created["id"],
            [{"name": "loss", "value": 0.9, "step": 1}, {"name": "loss", "value": 0.5, "step": 2}],
        )
        == 2
    )
    owner.log_metric(created["id"], "accuracy", 0.8, step=2)

    finished = owner.finish_experiment(created["id"], "completed")
    assert finished["status"] == "completed" and finished["finished_at"] is not None
    fetched = owner.get_experiment(created["id"])
    assert fetched["status"] == "completed"
    assert {name: p["value"] for name, p in fetched["latest_metrics"].items()} == {
        "loss": 0.5,
        "accuracy": 0.8,
    }

    owner.delete_experiment(created["id"])
    with pytest.raises(NotFoundError):
        owner.get_experiment(created["id"])
    with pytest.raises(NotFoundError):
        owner.metric_history(created["id"])


def test_list_filters_by_group_and_status_and_paginates(owner):
    ids = [owner.create_experiment(f"run-{i}", group="a" if i % 2 else "b")["id"] for i in range(5)]
    owner.finish_experiment(ids[0], "failed")

    assert [e["id"] for e in owner.list_experiments()] == ids
    assert [e["id"] for e in owner.list_experiments(group="a")] == [ids[1], ids[3]]
    assert [e["id"] for e in owner.list_experiments(status="failed")] == [ids[0]]
    first = owner.request("GET", "/experiments", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]


def test_only_running_to_terminal_is_allowed(owner):
    for terminal in ("completed", "failed", "cancelled"):
        experiment = owner.create_experiment(f"once-{terminal}")
        with pytest.raises(ConflictError):
            owner.update_experiment(experiment["id"], status="running")
        owner.finish_experiment(experiment["id"], terminal)
        for again in ("completed", "failed", "cancelled", "running"):
            with pytest.raises(ConflictError) as conflict:
                owner.update_experiment(experiment["id"], status=again)
            assert conflict.value.status_code == 409
            assert conflict.value.details == {"status": terminal, "requested": again}
        with pytest.raises(ConflictError):
            owner.log_metric(experiment["id"], "loss", 0.1)  # finished: no more metrics
        with pytest.raises(ValidationError):
            owner.update_experiment(experiment["id"], status="paused")
        # Tags stay editable after the experiment finished.
        assert owner.update_experiment(experiment["id"], tags={"k": "v"})["tags"] == {"k": "v"}


def test_concurrent_finishes_succeed_exactly_once(tenant, owner):
    experiment = owner.create_experiment("race")

    def finish(status):
        with tenant.client() as client:
            try:
                return client.finish_experiment(experiment["id"], status)["status"]
            except ConflictError:
                return "conflict"

    statuses = ["completed", "failed", "cancelled"] * 4
    with ThreadPoolExecutor(len(statuses)) as pool:
        outcomes = list(pool.map(finish, statuses))
    winners = [o for o in outcomes if o != "conflict"]
    assert len(winners) == 1
    assert owner.get_experiment(experiment["id"])["status"] == winners[0]


def test_metric_batches_are_limited_to_1000_points(owner):
    experiment = owner.create_experiment("big")
    batch = [{"name": "loss", "value": 1 / (i + 1), "step": i} for i in range(1000)]
    assert owner.log_metrics(experiment["id"], batch) == 1000
    with pytest.raises(ValidationError) as too_many:
        owner.log_metrics(experiment["id"], [*batch, {"name": "loss", "value": 0.0, "step": 1000}])
    assert too_many.value.status_code == 422
    with pytest.raises(ValidationError):
        owner.log_metrics(experiment["id"], [])
    assert len(owner.metric_history(experiment["id"])) == 1000


def test_non_finite_values_and_unknown_fields_are_refused(tenant, owner):
    experiment = owner.create_experiment("nan")
    url = f"{tenant.url}/api/v1/experiments/{experiment['id']}/metrics"
    headers = {"Authorization": f"Bearer {tenant.owner_key}", "Content-Type": "application/json"}
    for value in ("NaN", "Infinity", "-Infinity"):
        # JSON has no NaN; Python's encoder still emits it, so send it verbatim.
        body = '{"metrics": [{"name": "loss", "value": VALUE}]}'.replace("VALUE", value)
        response = httpx.post(url, content=body, headers=headers)
        assert response.status_code == 422, response.text
    assert owner.metric_history(experiment["id"]) == []
    with pytest.raises(ValidationError):
        owner.request("POST", "/experiments", json={"name": "x", "colour": "red"})


def test_history_is_ordered_by_step_then_timestamp_and_filterable(owner):
    experiment = owner.create_experiment("order")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    owner.log_metrics(
        experiment["id"],
        [
            {"name": "loss", "value": 3.0, "step": 2, "timestamp": t0 + timedelta(seconds=1)},
            {"name": "loss", "value": 2.0, "step": 2, "timestamp": t0},
            {"name": "acc", "value": 0.5, "step": 1, "timestamp": t0 + timedelta(seconds=5)},
            {"name": "loss", "value": 1.0, "step": 0, "timestamp": t0 + timedelta(seconds=9)},
        ],
    )
    history = owner.metric_history(experiment["id"])
    assert [(p["name"], p["step"], p["value"]) for p in history] == [
        ("loss", 0, 1.0),
        ("acc", 1, 0.5),
        ("loss", 2, 2.0),
        ("loss", 2, 3.0),
    ]
    assert [p["value"] for p in owner.metric_history(experiment["id"], name="loss")] == [
        1.0,
        2.0,
        3.0,
    ]
    # Pages of one point walk the same order.
    paged = list(owner.iter_metric_history(experiment["id"], page_size=1))
    assert paged == history
    assert datetime.fromisoformat(history[0]["timestamp"]) == t0 + timedelta(seconds=9)
    latest = owner.get_experiment(experiment["id"])["latest_metrics"]
    assert latest["loss"]["value"] == 3.0 and latest["loss"]["step"] == 2


def test_other_tenants_see_nothing_and_viewers_only_read(make_tenant):
    a, b = make_tenant(), make_tenant()
    with a.client() as as_a, b.client() as as_b:
        experiment = as_a.create_experiment("private")
        for call in (
            lambda: as_b.get_experiment(experiment["id"]),
            lambda: as_b.update_experiment(experiment["id"], tags={}),
            lambda: as_b.finish_experiment(experiment["id"]),
            lambda: as_b.log_metric(experiment["id"], "loss", 1.0),
            lambda: as_b.metric_history(experiment["id"]),
            lambda: as_b.delete_experiment(experiment["id"]),
        ):
            with pytest.raises(NotFoundError):
                call()
        assert as_b.list_experiments() == []

        viewer = as_a.create_user(a.slug, "viewer", "viewer")
        with a.client(as_a.create_api_key(viewer["id"])["key"]) as as_viewer:
            assert as_viewer.get_experiment(experiment["id"])["name"] == "private"
            for write in (
                lambda: as_viewer.create_experiment("nope"),
                lambda: as_viewer.log_metric(experiment["id"], "loss", 1.0),
                lambda: as_viewer.finish_experiment(experiment["id"]),
                lambda: as_viewer.delete_experiment(experiment["id"]),
            ):
                with pytest.raises(PermissionDeniedError):
                    write()
        assert as_a.get_experiment(experiment["id"])["status"] == "running"
