"""Sorting the experiments table in the database: by attribute, parameter or last metric value.

Every order is read page by page (a page of 2 or 3 rows) through the cursors, so these tests
prove the order holds across pages, not only within one. They run on SQLite and PostgreSQL.
"""

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from maestro.db.models import LatestMetric
from maestro.errors import BadRequest, ValidationFailed
from maestro.services.experiment_sort import ExperimentSort, parse_sort, sorted_page
from maestro.services.principal import Principal

ROWS = re.compile(r'data-experiment="([^"]+)"')

Pages = Callable[..., list[str]]


@pytest.fixture
def principal_of(server) -> Callable[[str], Principal]:
    """The principal behind a key, as the app resolves it."""

    def resolve(key: str) -> Principal:
        with server.app.state.ctx.db.read_session() as session:
            return server.app.state.ctx.identity.authenticate(session, key).principal

    return resolve


@pytest.fixture
def all_pages(server, tenant, principal_of) -> Pages:
    """Names of the tenant's experiments in `sort` order, read `limit` rows at a time."""
    principal = principal_of(tenant.owner_key)

    def read(column: str, order: str | None = None, *, limit: int = 2, **filters) -> list[str]:
        sort = parse_sort(column, order)
        names: list[str] = []
        cursor = None
        for _ in range(100):
            with server.app.state.ctx.db.read_session() as session:
                page = sorted_page(session, principal, sort, limit=limit, cursor=cursor, **filters)
            assert len(page.items) <= limit
            names += [e.name for e in page.items]
            cursor = page.next_cursor
            if cursor is None:
                return names
        raise AssertionError("the pages never ended")

    return read


def test_a_parameter_sorts_numbers_numerically_then_text_then_missing_last(owner, all_pages):
    values = {"a": 10, "b": 2.5, "c": -1, "d": "adam", "e": "sgd", "f": None, "g": True}
    for name, value in values.items():
        owner.create_experiment(name, params={} if value is None else {"lr": value})
    owner.create_experiment("h", params={"other": 1})

    ascending, descending = all_pages("params.lr", "asc"), all_pages("params.lr", "desc")

    assert ascending[:6] == ["c", "b", "a", "d", "e", "g"]  # true is the text "true"
    assert descending[:6] == ["a", "b", "c", "g", "e", "d"]
    assert sorted(ascending[6:]) == ["f", "h"] and ascending[6:] == descending[6:][::-1]


def test_a_metric_sorts_by_its_last_value_not_its_best(owner, all_pages):
    def run(name: str, points: list[tuple[int, float]]) -> None:
        experiment = owner.create_experiment(name)
        if points:
            owner.log_metrics(
                experiment["id"], [{"name": "acc", "value": v, "step": s} for s, v in points]
            )

    run("peaked", [(1, 0.99), (5, 0.50)])  # last value 0.50 although it reached 0.99
    run("steady", [(1, 0.70), (2, 0.80)])
    run("late", [(10, 0.60)])
    run("none", [])
    run("tied", [(3, 0.80)])

    ascending = all_pages("metrics.acc", "asc")
    descending = all_pages("metrics.acc", "desc")

    assert ascending[:2] == ["peaked", "late"] and ascending[-1] == "none"
    assert sorted(ascending[2:4]) == ["steady", "tied"]
    assert descending[2:] == ["late", "peaked", "none"]
    assert sorted(descending[:2]) == ["steady", "tied"]
    assert ascending[2:4] == descending[:2][::-1]  # ties broken by id, reversed with the order


def test_attributes_sort_with_missing_groups_and_unfinished_runs_last(owner, all_pages):
    ids = {}
    for name, group in (("bravo", "g2"), ("alpha", None), ("delta", "g1"), ("charlie", None)):
        ids[name] = owner.create_experiment(name, group=group)["id"]
    owner.finish_experiment(ids["delta"], "failed")
    owner.finish_experiment(ids["alpha"])

    assert all_pages("name") == ["alpha", "bravo", "charlie", "delta"]
    assert all_pages("name", "desc") == ["delta", "charlie", "bravo", "alpha"]
    assert all_pages("group")[:2] == ["delta", "bravo"]
    assert all_pages("group", "desc")[:2] == ["bravo", "delta"]
    assert sorted(all_pages("group")[2:]) == ["alpha", "charlie"]
    assert all_pages("status", "asc")[:2] == ["alpha", "delta"]  # completed < failed < running
    assert all_pages("finished", "desc")[:2] == ["alpha", "delta"]
    assert all_pages("finished", "asc")[:2] == ["delta", "alpha"]
    assert all_pages("created") == ["charlie", "delta", "alpha", "bravo"]  # newest first
    assert all_pages("created", "asc") == ["bravo", "alpha", "delta", "charlie"]


def test_sorting_applies_filters_and_never_shows_another_tenant(make_tenant, all_pages, tenant):
    with tenant.client() as ours:
        ours.create_experiment("mine-2", group="g", params={"k": 2})
        ours.create_experiment("mine-1", group="g", params={"k": 1})
        ours.create_experiment("mine-other", group="h", params={"k": 0})
    other = make_tenant()
    with other.client() as theirs:
        theirs.create_experiment("theirs", group="g", params={"k": 1.5})

    assert all_pages("params.k", "asc", group="g") == ["mine-1", "mine-2"]
    assert "theirs" not in all_pages("params.k", "asc")


def test_a_cursor_of_another_sort_is_refused_and_a_forged_one_is_invalid(
    server, tenant, owner, principal_of
):
    for i in range(3):
        owner.create_experiment(f"run-{i}", params={"lr": i})
    principal = principal_of(tenant.owner_key)
    with server.app.state.ctx.db.read_session() as session:
        by_lr = sorted_page(session, principal, parse_sort("params.lr", "asc"), limit=1)
        assert by_lr.next_cursor
        with pytest.raises(BadRequest) as other_sort:
            sorted_page(
                session,
                principal,
                parse_sort("params.lr", "desc"),
                limit=1,
                cursor=by_lr.next_cursor,
            )
        with pytest.raises(ValidationFailed):
            sorted_page(session, principal, parse_sort("name", None), cursor="bm90LWEtY3Vyc29y")
    assert other_sort.value.status_code == 400


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("bogus", None),
        ("params.", None),
        ('params.a"b', None),
        ("name", "sideways"),
        ("metrics." + "x" * 201, None),
    ],
)
def test_unknown_columns_and_orders_are_validation_errors(sort, order):
    with pytest.raises(ValidationFailed):
        parse_sort(sort, order)


def test_a_header_click_toggles_the_order():
    assert parse_sort(None, None) == ExperimentSort("created", descending=True)
    assert parse_sort("metrics.acc", None).toggled("metrics.acc").order == "desc"
    assert parse_sort("name", "desc").toggled("created") == ExperimentSort("created", True)


def test_the_page_sorts_through_header_links_with_aria_sort(console, tenant, owner):
    for name, acc in (("low", 0.1), ("high", 0.9), ("mid", 0.5)):
        experiment = owner.create_experiment(name)
        owner.log_metric(experiment["id"], "acc", acc)
    owner.create_experiment("unscored")
    browser = console()
    browser.sign_in(tenant.owner_key)

    page = browser.http.get("/experiments", params={"sort": "metrics.acc", "order": "desc"})

    assert page.status_code == 200
    names = re.findall(r'<a href="/experiments/[^"]+">([^<]+)</a>', page.text)
    assert names == ["high", "mid", "low", "unscored"]
    header = re.search(r'<th scope="col" aria-sort="([a-z]+)" data-column="([^"]+)">', page.text)
    assert header.groups() == ("descending", "metrics.acc")
    assert page.text.count("aria-sort=") == 1
    toggle = re.search(r'data-column="metrics.acc"><a class="sort" href="([^"]+)"', page.text)
    flipped = browser.http.get(html.unescape(toggle.group(1)))
    assert re.findall(r'<a href="/experiments/[^"]+">([^<]+)</a>', flipped.text) == [
        "low",
        "mid",
        "high",
        "unscored",
    ]


def test_the_page_refuses_a_cursor_of_another_sort_with_a_readable_400(console, tenant, owner):
    for i in range(52):
        owner.create_experiment(f"run-{i:02d}")
    browser = console()
    browser.sign_in(tenant.owner_key)
    first = browser.http.get("/experiments", params={"sort": "name"})
    cursor = re.search(r"cursor=([^&\"]+)", first.text).group(1)
    second = browser.http.get("/experiments", params={"sort": "name", "cursor": cursor})
    assert ROWS.findall(second.text) and second.status_code == 200

    refused = browser.http.get("/experiments", params={"sort": "created", "cursor": cursor})

    assert refused.status_code == 400 and "Traceback" not in refused.text
    assert "belongs to another sort order" in refused.text
    bad_order = browser.http.get("/experiments", params={"sort": "name", "order": "up"})
    assert bad_order.status_code == 422 and "asc or desc" in bad_order.text


def test_a_parameter_no_sort_can_name_has_a_plain_header(console, tenant, owner):
    owner.create_experiment("quoted", params={'say "hi"': 1, "plain": 2})
    browser = console()
    browser.sign_in(tenant.owner_key)
    page = browser.http.get("/experiments").text
    assert re.search(r'data-column="params.plain"><a class="sort"', page)
    assert re.search(r'data-column="params.say &#34;hi&#34;">say &#34;hi&#34;</th>', page)


def test_the_kept_last_value_agrees_with_the_series_whatever_the_batch_order(server, tenant, owner):
    """`log_metrics` keeps each series' last point for sorting; it must be the point
    `latest_metrics` finds by reading the series, batch after batch."""
    run = owner.create_experiment("r")["id"]
    early = datetime(2020, 1, 1, tzinfo=UTC)
    batches = [
        [{"name": "m", "value": 1.0, "step": 5}, {"name": "m", "value": 2.0, "step": 3}],
        [{"name": "m", "value": 3.0, "step": 4}],  # a lower step, logged later: not last
        [{"name": "m", "value": 7.0, "step": 5}, {"name": "n", "value": 1.0, "step": 0}],
        [{"name": "m", "value": 9.0, "step": 5, "timestamp": early}],  # older timestamp
        [{"name": "n", "value": 4.0, "step": 0}, {"name": "n", "value": 5.0, "step": 0}],
    ]
    ctx = server.app.state.ctx
    for batch in batches:
        owner.log_metrics(run, batch)
        with ctx.db.read_session() as session:
            series = {n: p.value for n, p in ctx.experiments.latest_metrics(session, run).items()}
            kept = dict(
                session.execute(
                    select(LatestMetric.name, LatestMetric.value).where(
                        LatestMetric.experiment_id == run
                    )
                ).all()
            )
        assert kept == series
    assert kept == {"m": 7.0, "n": 5.0}
    owner.finish_experiment(run)
    owner.delete_experiment(run)
    with ctx.db.read_session() as session:
        assert (
            session.scalar(select(LatestMetric.name).where(LatestMetric.experiment_id == run))
            is None
        )
