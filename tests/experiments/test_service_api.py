"""The service API the job system calls: a training run tracked as the user who launched it."""

import pytest

from maestro.errors import Conflict, ValidationFailed
from maestro.services.experiments import MetricValue


def test_a_job_creates_logs_and_finishes_an_experiment(server, tenant, owner):
    ctx = server.app.state.ctx
    with ctx.db.session() as session:
        principal = ctx.identity.authenticate(session, tenant.owner_key).principal
        experiment = ctx.experiments.create(
            session, principal, name="train rf", group="job-1", params={"n_estimators": 10}
        )
        for epoch in range(3):
            ctx.experiments.log_metrics(
                session, principal, experiment.id, [MetricValue("loss", 1 / (epoch + 1), epoch)]
            )
        with pytest.raises(ValidationFailed):
            ctx.experiments.log_metrics(
                session, principal, experiment.id, [MetricValue("loss", float("nan"))]
            )
        ctx.experiments.finish(session, principal, experiment.id, "completed")
        with pytest.raises(Conflict):
            ctx.experiments.finish(session, principal, experiment.id, "failed")

    seen = owner.get_experiment(experiment.id)
    assert seen["status"] == "completed" and seen["created_by"] == tenant.owner_id
    assert seen["latest_metrics"]["loss"]["step"] == 2
    assert len(owner.metric_history(experiment.id)) == 3
