"""Browser tests: one real `maestro serve` and one headless Chromium per module.

Chromium and chromedriver are Debian's (`/usr/bin/chromium`, `/usr/bin/chromedriver`, installed by
`.ci/run`). The data every test looks at is created through the API by `world`, the way a user's
scripts would, and the console must show it.
"""

import io
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from maestro.client import MaestroClient
from tests.jobs.conftest import wait_until
from tests.support.processes import RunningServer, maestro_env, maestro_serve

ADMIN_KEY = "mst_browser-admin-key-0123456789abcdefghijkl"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("MAESTRO_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MAESTRO_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
# Set to a directory (docs/screenshots) to refresh the README's screenshots while testing.
SCREENSHOTS = os.environ.get("MAESTRO_CONSOLE_SCREENSHOTS")
WAIT = 30.0
README_SCREENSHOTS = {"home", "experiments", "compare", "version", "dataset", "jobs"}

CSV = b"tenure,plan,monthly_spend,region,churned\n" + b"".join(
    f"{i % 48},{('basic', 'pro', 'team')[i % 3]},{20 + (i * 7) % 80}.5,"
    f"{('north', 'south', 'east', 'west')[i % 4]},{int(i % 48 < 12 or i % 5 == 0)}\n".encode()
    for i in range(240)
)


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("console") / "data"
    env = maestro_env(
        data,
        MAESTRO_BOOTSTRAP_ADMIN_KEY=ADMIN_KEY,
        MAESTRO_RATE_LIMIT_REQUESTS_PER_MINUTE="1000000",
        MAESTRO_RATE_LIMIT_BURST="100000",
        MAESTRO_ANONYMOUS_RATE_LIMIT_REQUESTS_PER_MINUTE="1000000",
        MAESTRO_ANONYMOUS_RATE_LIMIT_BURST="100000",
    )
    with maestro_serve(data, env=env) as server:
        yield server


@dataclass
class Tenant:
    slug: str
    owner_key: str
    viewer_key: str
    ids: dict[str, Any] = field(default_factory=dict)


def _tenant(admin: MaestroClient, slug: str) -> Tenant:
    admin.create_tenant(slug, slug.replace("-", " ").title())
    owner = admin.create_user(slug, "olivia", "owner")
    viewer = admin.create_user(slug, "victor", "viewer")
    return Tenant(
        slug,
        admin.create_api_key(owner["id"], "console")["key"],
        admin.create_api_key(viewer["id"], "console")["key"],
    )


def populate(client: MaestroClient, tenant: Tenant) -> None:
    """A dataset with a discovery report, a trained and deployed model, three experiments."""
    dataset = client.upload_dataset(
        io.BytesIO(CSV), "customers", description="Monthly customer snapshot", filename="c.csv"
    )
    discovery = client.discover_features(dataset["id"], "churned")
    job = client.train(
        dataset["id"],
        "churned",
        "random_forest",
        hyperparameters={"n_estimators": 20},
        register_as="churn-model",
    )
    client.wait_for_training_job(job["id"], timeout=180)
    client.wait_for_feature_discovery(discovery["id"], timeout=180)
    client.update_model("churn-model", description="Predicts churn", tags={"team": "growth"})
    client.set_alias("churn-model", "production", 1)
    client.deploy("churn-model", 1)
    experiments = []
    for index, depth in enumerate((3, 5, 8)):
        run = client.create_experiment(
            f"depth-{depth}",
            group="sweep",
            params={"max_depth": depth, "lr": 0.1},
            tags={"owner": "olivia"},
        )
        client.log_metrics(
            run["id"],
            [
                {"name": "loss", "value": 1.0 / (step + 1 + index), "step": step}
                for step in range(20)
            ]
            + [
                {"name": "accuracy", "value": 0.6 + 0.01 * step * (index + 1), "step": step}
                for step in range(20)
            ],
        )
        experiments.append(run["id"])
    tenant.ids.update(
        dataset=dataset["id"],
        training_job=job["id"],
        discovery_job=discovery["id"],
        experiments=experiments,
    )


@pytest.fixture(scope="module")
def world(console_server: RunningServer) -> dict[str, Tenant]:
    with MaestroClient(console_server.url, api_key=ADMIN_KEY) as admin:
        a, b = _tenant(admin, "acme"), _tenant(admin, "globex")
    with MaestroClient(console_server.url, api_key=a.owner_key) as client:
        populate(client, a)
    return {"a": a, "b": b}


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail(
            "chromium and chromedriver are required (apt-get install chromium chromium-driver)"
        )
    profile = (
        Path(os.environ.get("TMPDIR", "/tmp"))
        / f"maestro-chromium-{os.getpid()}-{time.monotonic_ns()}"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,860",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(condition: Callable[[], Any], timeout: float = WAIT, message: str = "") -> Any:
    return wait_until(condition, timeout, message or "the page")


class Console:
    """What a test does with the console: sign in, open pages, read errors, run axe."""

    def __init__(self, driver: WebDriver, url: str) -> None:
        self.driver = driver
        self.url = url

    def sign_in(self, key: str) -> None:
        self.driver.delete_all_cookies()
        self.driver.get(f"{self.url}/login")
        self.driver.find_element(By.ID, "api_key").send_keys(key)
        self.driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
        wait_for(lambda: self.driver.find_elements(By.CSS_SELECTOR, "nav[aria-label=Main]"))
        self.errors()  # start each test with an empty console log

    def open(self, path: str) -> None:
        self.driver.get(f"{self.url}{path}")
        wait_for(lambda: self.driver.execute_script("return document.readyState") == "complete")

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def errors(self) -> list[str]:
        """Console errors (including CSP violations) since the last call."""
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def axe(self) -> list[dict[str, Any]]:
        """Serious and critical accessibility violations on the current page."""
        self.driver.execute_script(AXE.read_text())
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, "
            "nodes: v.nodes.map(n => n.target.join(' '))}))));"
        )
        return [v for v in result if v["impact"] in ("serious", "critical")]

    def screenshot(self, name: str, anchor: str | None = None) -> None:
        """Save the viewport for the README, scrolled so `anchor` (a CSS selector) is in view."""
        if SCREENSHOTS and name in README_SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            if anchor:
                self.driver.execute_script(
                    "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
                    anchor,
                )
            self.driver.save_screenshot(str(Path(SCREENSHOTS) / f"{name}.png"))


@pytest.fixture(scope="module")
def console(browser: WebDriver, console_server: RunningServer) -> Console:
    return Console(browser, console_server.url)
