"""The web console in a real headless Chromium against a real `maestro serve`."""

import csv
import io

import numpy as np
import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from sklearn.linear_model import LogisticRegression

from maestro.client import MaestroClient
from maestro.ml.serialization import dump_model
from tests.browser.conftest import ADMIN_KEY, wait_for

pytestmark = pytest.mark.slow


TERMINAL = ("succeeded", "failed", "cancelled")
ANCHORS = {"dataset": "#discovery", "compare": "#compare-params"}


def owner_pages(world) -> list[tuple[str, str, list[str]]]:
    """(screenshot name, path, texts the page must show) for every tenant page."""
    ids = world["a"].ids
    first, *_ = ids["experiments"]
    return [
        ("home", "/", ["Usage against quotas", "churn-model v1", "depth-8"]),
        ("models", "/models", ["churn-model", "Predicts churn", "team=growth"]),
        ("model", "/models/churn-model", ["production", "deployed", "Aliases"]),
        ("version", "/models/churn-model/versions/1", ["SHA-256", "Try it", "Model card"]),
        ("experiments", "/experiments", ["depth-3", "depth-5", "depth-8", "max_depth", "loss"]),
        ("experiment", f"/experiments/{first}", ["depth-3", "Metrics over steps", "accuracy"]),
        ("datasets", "/datasets", ["customers", "Monthly customer snapshot"]),
        ("dataset", f"/datasets/{ids['dataset']}", ["monthly_spend", "Feature relevance", "240"]),
        ("jobs", "/jobs", ["Launch a training job", ids["training_job"][:8]]),
        ("job", f"/jobs/{ids['training_job']}", ["succeeded", "churn-model v1"]),
        ("users", "/admin/users", ["olivia", "victor"]),
    ]


def test_every_page_shows_the_data_created_through_the_api_without_console_errors(console, world):
    console.sign_in(world["a"].owner_key)
    for name, path, texts in owner_pages(world):
        console.open(path)
        wait_for(lambda: all(t in console.text() for t in texts), message=f"{path}: {texts}")  # noqa: B023
        console.screenshot(name, ANCHORS.get(name))
        assert console.errors() == [], path


def test_metric_charts_draw_one_chart_per_metric(console, world):
    console.sign_in(world["a"].owner_key)
    console.open(f"/experiments/{world['a'].ids['experiments'][0]}")
    drawn = wait_for(
        lambda: console.driver.find_elements(By.CSS_SELECTOR, "[data-chart][data-drawn]")
    )
    assert sorted(c.get_attribute("data-metric") for c in drawn) == ["accuracy", "loss"]
    assert console.driver.find_elements(By.CSS_SELECTOR, "[data-chart] canvas")


def test_the_compare_chart_draws_one_series_per_selected_experiment(console, world):
    console.sign_in(world["a"].owner_key)
    console.open("/experiments?group=sweep")
    for box in console.driver.find_elements(By.CSS_SELECTOR, "input[name=ids]"):
        box.click()
    console.driver.find_element(By.ID, "compare-button").click()
    charts = wait_for(
        lambda: console.driver.find_elements(By.CSS_SELECTOR, "[data-chart][data-drawn]")
    )
    assert len(charts) == 2
    for chart in charts:
        assert chart.get_attribute("data-series-count") == "3"
        legend = chart.find_elements(By.CSS_SELECTOR, ".u-legend .u-series")
        assert len(legend) == 1 + 3  # the step axis, then one per experiment
    differing = console.driver.find_elements(By.CSS_SELECTOR, "#compare-params tr.differs th")
    assert [row.text.split()[0] for row in differing] == ["max_depth"]
    console.screenshot("compare", ANCHORS["compare"])
    assert console.errors() == []


def _experiment_names(console) -> list[str]:
    rows = console.driver.find_elements(
        By.CSS_SELECTOR, "#experiments-table tbody tr td:nth-child(2)"
    )
    return [row.text for row in rows]


def test_experiment_column_headers_sort_by_the_server_and_toggle(console, world):
    console.sign_in(world["a"].owner_key)
    console.open("/experiments?group=sweep")
    header = "th[data-column='metrics.accuracy']"

    console.driver.find_element(By.CSS_SELECTOR, f"{header} a").click()
    wait_for(lambda: "order=asc" in console.driver.current_url)
    ascending = _experiment_names(console)
    sorted_header = console.driver.find_element(By.CSS_SELECTOR, header)
    assert sorted_header.get_attribute("aria-sort") == "ascending"
    console.driver.find_element(By.CSS_SELECTOR, f"{header} a").click()
    wait_for(lambda: "order=desc" in console.driver.current_url)

    assert ascending == ["depth-3", "depth-5", "depth-8"]  # last accuracy 0.79, 0.98, 1.17
    assert _experiment_names(console) == ["depth-8", "depth-5", "depth-3"]
    assert console.driver.find_element(By.CSS_SELECTOR, header).get_attribute("aria-sort") == (
        "descending"
    )
    assert "group=sweep" in console.driver.current_url  # the filter stays
    assert console.errors() == []


def test_an_owner_deletes_a_user_from_the_admin_page_after_confirming(console, world):
    with MaestroClient(console.url, api_key=world["a"].owner_key) as owner:
        doomed = owner.create_user(world["a"].slug, "temporary", "member")
    console.sign_in(world["a"].owner_key)
    console.open(f"/admin/users/{doomed['id']}")
    console.driver.find_element(By.CSS_SELECTOR, "#delete-user summary").click()
    button = console.driver.find_element(By.CSS_SELECTOR, "#delete-user button")
    button.click()  # nothing typed: the browser's own validation keeps the form back
    assert console.driver.execute_script(
        "return document.getElementById('delete-confirm').validity.valueMissing"
    )
    assert console.driver.current_url.endswith(f"/admin/users/{doomed['id']}")

    console.driver.find_element(By.ID, "delete-confirm").send_keys("temporary")
    button.click()

    wait_for(  # the URL changes before the new page has a body: wait for both
        lambda: (
            console.driver.current_url.endswith("/admin/users")
            and console.driver.find_elements(By.CSS_SELECTOR, "body main")
        ),
        message="the users page after the confirmed delete",
    )
    assert "temporary" not in console.text() and "olivia" in console.text()
    assert console.errors() == []


def test_try_it_shows_the_deployed_versions_predictions_and_probabilities(console, world):
    console.sign_in(world["a"].owner_key)
    console.open("/models/churn-model/versions/1")
    console.driver.find_element(By.CSS_SELECTOR, "#try-title ~ form button").click()
    table = wait_for(lambda: console.driver.find_elements(By.ID, "predictions-table"))[0]
    assert table.find_element(By.CSS_SELECTOR, "td.prediction").text in ("0", "1")
    assert "Probabilities" in table.text
    assert console.errors() == []


def test_a_training_job_launched_from_the_form_succeeds_on_the_page_without_reload(console, world):
    console.sign_in(world["a"].owner_key)
    console.open("/jobs")
    console.driver.find_element(By.ID, "t-hyper").send_keys('{"n_estimators": 10}')
    console.driver.find_element(By.ID, "t-register").send_keys("churn-from-console")
    console.driver.find_element(By.ID, "launch-button").click()
    wait_for(
        lambda: (
            "/jobs/" in console.driver.current_url
            and console.driver.find_elements(By.ID, "job-state")
        )
    )
    console.driver.execute_script("window.__sameDocument = 'yes';")
    wait_for(
        lambda: console.driver.find_element(By.ID, "job-state").text in TERMINAL,
        timeout=180,
        message="the job page to show the job's end",
    )
    assert console.driver.find_element(By.ID, "job-state").text == "succeeded", console.text()
    assert console.driver.execute_script("return window.__sameDocument") == "yes"
    assert "churn-from-console v1" in console.text()
    assert console.errors() == []


def test_a_viewer_finds_no_write_control_and_a_forged_post_is_refused(console, world):
    a = world["a"]
    console.sign_in(a.viewer_key)
    allowed = {"/logout", "/models/churn-model/versions/1/predict"}
    for path in (
        "/",
        "/models/churn-model",
        "/models/churn-model/versions/1",
        f"/datasets/{a.ids['dataset']}",
        "/jobs",
        f"/jobs/{a.ids['training_job']}",
    ):
        console.open(path)
        posts = console.driver.find_elements(By.CSS_SELECTOR, "form[method=post], [hx-post]")
        targets = {f.get_attribute("action") or f.get_attribute("hx-post") for f in posts}
        assert {t.removeprefix(console.url) for t in targets} <= allowed, path
    status = console.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];"
        "fetch('/models/churn-model/undeploy', {method: 'POST', headers: {'X-CSRF-Token': token}})"
        ".then(r => done(r.status));"
    )
    assert status == 403
    with MaestroClient(console.url, api_key=a.owner_key) as owner:
        assert owner.get_model("churn-model")["deployment"]["version"] == 1


def test_another_tenant_opening_its_urls_gets_404_pages(console, world):
    ids = world["a"].ids
    console.sign_in(world["b"].owner_key)
    for path in (
        "/models/churn-model",
        "/models/churn-model/versions/1",
        f"/experiments/{ids['experiments'][0]}",
        f"/experiments/compare?ids={ids['experiments'][0]}&ids={ids['experiments'][1]}",
        f"/datasets/{ids['dataset']}",
        f"/jobs/{ids['training_job']}",
    ):
        console.open(path)
        assert console.driver.find_element(By.TAG_NAME, "h1").text == "Not found", path
        assert "churn-model v1" not in console.text() and "Traceback" not in console.text()


PAYLOADS = ("<script>window.__xss=1</script>", '"><img src=x onerror="window.__xss=1">')


def _xss_tenant(url: str) -> tuple[str, dict[str, str]]:
    """A tenant whose every user-written field holds both payloads."""
    script, attribute = PAYLOADS
    with MaestroClient(url, api_key=ADMIN_KEY) as admin:
        admin.create_tenant("xss", f"Evil {script} {attribute}")
        owner = admin.create_user("xss", "mallory", "owner")
        key = admin.create_api_key(owner["id"], "k")["key"]
    buffer = io.StringIO()
    rows = csv.writer(buffer)
    rows.writerow([script, attribute, "y"])
    rows.writerows([[i, i % 3, i % 2] for i in range(30)])
    with MaestroClient(url, api_key=key) as client:
        dataset = client.upload_dataset(
            buffer.getvalue().encode(), f"data {script}", description=attribute, filename="x.csv"
        )
        client.create_model(
            "evil", description=f"{script} {attribute}", tags={"team": f"{script}{attribute}"}
        )
        features = np.arange(60, dtype=float).reshape(30, 2)
        client.upload_version(
            "evil", dump_model(LogisticRegression().fit(features, np.arange(30) % 2))
        )
        client.put_card("evil", 1, caveats=[script, attribute])
        runs = []
        for name in PAYLOADS:
            run = client.create_experiment(
                name, group=attribute, params={script: attribute}, tags={attribute: script}
            )
            client.log_metric(run["id"], "loss", 0.5, step=1)
            runs.append(run["id"])
    return key, {"dataset": dataset["id"], "run": runs[0], "other": runs[1]}


def test_user_text_with_markup_is_shown_as_text_and_never_runs(console, world):
    key, ids = _xss_tenant(console.url)
    pages = [
        "/",
        "/models",
        "/models/evil",
        "/models/evil/versions/1",
        "/models/evil/versions/1/card",
        "/experiments",
        f"/experiments/{ids['run']}",
        f"/experiments/compare?ids={ids['run']}&ids={ids['other']}",
        "/datasets",
        f"/datasets/{ids['dataset']}",
    ]
    console.sign_in(key)
    for path in pages:
        console.open(path)
        assert PAYLOADS[0] in console.text(), path  # shown, as text
        assert console.driver.execute_script("return window.__xss === undefined"), path
        with pytest.raises(NoAlertPresentException):
            console.driver.switch_to.alert.text  # noqa: B018 - reading it is the check
        assert console.errors() == [], path
    console.sign_in(ADMIN_KEY)
    console.open("/admin/tenants")
    assert PAYLOADS[1] in console.text()
    assert console.driver.execute_script("return window.__xss === undefined")


def test_no_page_has_a_serious_or_critical_accessibility_violation(console, world):
    console.sign_in(world["a"].owner_key)
    pages = [path for _, path, _ in owner_pages(world)]
    pages.append(
        f"/experiments/compare?ids={world['a'].ids['experiments'][0]}"
        f"&ids={world['a'].ids['experiments'][1]}"
    )
    found = {}
    for path in pages:
        console.open(path)
        found[path] = console.axe()
    console.sign_in(ADMIN_KEY)
    for path in ("/admin/tenants", "/admin/tenants/acme"):
        console.open(path)
        found[path] = console.axe()
    console.screenshot("tenants")
    console.driver.delete_all_cookies()
    console.open("/login")
    found["/login"] = console.axe()
    assert {path: v for path, v in found.items() if v} == {}


def test_the_api_docs_render_from_local_assets(console, world):
    console.open("/docs")
    title = wait_for(
        lambda: console.driver.find_elements(By.CSS_SELECTOR, ".swagger-ui .info .title")
    )
    assert "Maestro ML Platform" in title[0].text
    console.open("/redoc")
    wait_for(lambda: "Maestro ML Platform" in console.text(), message="ReDoc renders")
    assert console.errors() == []


def test_sign_out_ends_the_session(console, world):
    console.sign_in(world["a"].owner_key)
    console.driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    wait_for(lambda: console.driver.current_url.endswith("/login"))
    console.open("/models")
    assert "/login" in console.driver.current_url
    assert console.driver.find_element(By.TAG_NAME, "h1").text == "Sign in to Maestro"
