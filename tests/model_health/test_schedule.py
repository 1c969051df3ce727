"""The drift schedule: one run per deployed model per interval, whichever replica asks."""

from datetime import timedelta

from maestro.db.base import utcnow
from maestro.services.model_health import ModelHealthService
from tests.model_health.conftest import generated, instances


def schedule(server, now) -> list[str]:
    ctx = server.app.state.ctx
    health: ModelHealthService = ctx.health
    health.settings = health.settings.model_copy(update={"drift_interval_seconds": 3600.0})
    return health.schedule_due(ctx.db, ctx.jobs, now=now)


def test_a_deployed_model_gets_one_scheduled_run_per_interval(server, owner, trained_model):
    owner.predict("scorer", instances(generated(300, seed=2)))
    start = utcnow()
    assert schedule(server, start) == []  # first sight: the first run is one interval away
    later = start + timedelta(hours=1, seconds=1)
    queued = schedule(server, later)
    assert len(queued) == 1
    assert schedule(server, later) == []  # a second replica asking at the same time gets none
    run = owner.wait_for_drift_run("scorer", queued[0], timeout=120)
    assert run["status"] == "completed" and run["current_rows"] == 300
    assert len(schedule(server, later + timedelta(hours=1, seconds=1))) == 1


def test_an_undeployed_model_is_not_scheduled(server, owner, trained_model):
    owner.undeploy("scorer")
    start = utcnow()
    schedule(server, start)
    assert schedule(server, start + timedelta(hours=2)) == []


def test_too_few_logged_rows_is_recorded_as_insufficient_data(server, owner, trained_model):
    owner.predict("scorer", instances(generated(5, seed=2)))
    job = owner.run_drift("scorer")
    run = owner.wait_for_drift_run("scorer", job["id"], timeout=120)
    assert run["status"] == "insufficient_data"
    assert "5 logged rows" in run["message"]
