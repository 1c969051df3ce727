"""Under load the prediction log keeps a bounded sample: at most a budget of rows per second per
process, whole requests only, while every prediction is still answered and counted."""

import time

import pytest
from sqlalchemy import func, select

from maestro.db.models import PredictionRecord
from maestro.db.session import Database
from maestro.services.prediction_log import _RowBudget
from maestro.settings import Settings
from tests.model_health.conftest import generated, instances

RATE = 0.01  # rows per second: the first request empties the budget for minutes


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"prediction_log_max_rows_per_second": RATE})


def test_requests_past_the_row_budget_are_answered_but_not_logged(
    server, tenant, owner, trained_model, db: Database
):
    first = owner.predict("scorer", instances(generated(3, seed=5)))
    later = [owner.predict("scorer", instances(generated(2, seed=s))) for s in range(3)]

    assert first["prediction_id"] and len(first["prediction_ids"]) == 3
    assert all(r["prediction_id"] is None and len(r["predictions"]) == 2 for r in later)
    deadline = time.monotonic() + 10
    while _logged(db) != 3:
        assert time.monotonic() < deadline, f"{_logged(db)} rows logged, not 3"
        time.sleep(0.05)


def test_the_budget_refills_at_its_rate_and_a_large_request_leaves_it_in_debt():
    budget = _RowBudget(1000.0)
    assert budget.take(600) and budget.take(400)
    assert not budget.take(1)  # empty (a microsecond refills far less than a row)
    budget._updated -= 1.0  # one second later: full again, never more than a second's worth
    assert budget.take(5000)  # larger than the bucket: taken whole when it is full...
    assert not budget.take(1)
    budget._updated -= 3.0  # ...and repaid over the next 4 seconds, not 1
    assert not budget.take(1)
    budget._updated -= 1.5
    assert budget.take(1)


def _logged(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(PredictionRecord)) or 0
