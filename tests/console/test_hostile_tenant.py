"""A hostile tenant in the console: another tenant's ids by URL are 404 pages, a viewer's forged
form posts change nothing, and user text with markup is shown as text."""

import httpx
import numpy as np
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from tests.conftest import ADMIN_KEY

XSS = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


def _deployed_model(client) -> None:
    features = np.random.default_rng(0).normal(size=(40, 2))
    model = LogisticRegression().fit(features, (features[:, 0] > 0).astype(int))
    client.create_model("secret", description=XSS, tags={"note": XSS})
    client.upload_version("secret", sio.dumps(model), "skops")
    client.deploy("secret", 1)


def test_another_tenants_model_and_experiment_urls_are_404_pages(console, make_tenant, server):
    victim, attacker = make_tenant(), make_tenant()
    with victim.client() as owner:
        _deployed_model(owner)
        experiment = owner.create_experiment("private-run", tags={"t": XSS})
    browser = console()
    browser.sign_in(attacker.owner_key)
    for path in (
        "/models/secret",
        f"/experiments/{experiment['id']}",
        f"/experiments/compare?ids={experiment['id']}",
    ):
        page = browser.http.get(path)
        assert page.status_code in (404, 422), (path, page.status_code)
        assert "private-run" not in page.text and "onerror" not in page.text
    forged = browser.post("/models/secret/undeploy")
    assert forged.status_code == 404
    with victim.client() as owner:
        assert owner.predict("secret", [[1.0, 2.0]])["predictions"]


def test_a_viewers_forged_posts_change_nothing(console, make_tenant, server):
    tenant = make_tenant()
    with tenant.client() as owner:
        _deployed_model(owner)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as a:
        viewer = a.post(
            f"/api/v1/tenants/{tenant.slug}/users", json={"username": "v", "role": "viewer"}
        ).json()
        key = a.post(f"/api/v1/users/{viewer['id']}/api-keys", json={"name": "v"}).json()["key"]
    browser = console()
    browser.sign_in(key)
    for path, data in (
        ("/models/secret/undeploy", {}),
        ("/models/secret/aliases", {"alias": "mine", "version": "1"}),
        ("/models/secret/deploy", {"version": "1"}),
    ):
        assert browser.post(path, data).status_code == 403, path
    with tenant.client() as owner:
        assert owner.get_version("secret", 1)["aliases"] == []
        assert owner.predict("secret", [[1.0, 2.0]])["predictions"]


def test_an_owner_deploys_from_the_console_through_the_sandboxed_serving_service(
    console, tenant, owner
):
    _deployed_model(owner)
    owner.upload_version("secret", owner.download_artifact("secret", 1), "skops")
    browser = console()
    browser.sign_in(tenant.owner_key)
    answer = browser.post("/models/secret/deploy", {"version": "2"})
    assert answer.status_code == 303, answer.text
    assert owner.predict("secret", [[1.0, 2.0]])["model_version"] == 2


def test_markup_in_a_models_description_and_tags_is_shown_as_text(console, tenant, owner):
    _deployed_model(owner)
    browser = console()
    browser.sign_in(tenant.owner_key)
    page = browser.http.get("/models/secret")
    assert page.status_code == 200
    assert "<script>alert(2)</script>" not in page.text
    assert "<img src=x onerror" not in page.text
    assert "&lt;script&gt;" in page.text
