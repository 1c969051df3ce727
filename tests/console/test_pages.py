"""Console pages over HTTP: pagination, filters and readable errors for bad input."""

import re


def test_the_experiments_table_pages_newest_first_without_overlap(console, tenant, owner):
    created = [owner.create_experiment(f"run-{i:02d}")["id"] for i in range(53)]
    browser = console()
    browser.sign_in(tenant.owner_key)
    first = browser.http.get("/experiments")
    rows = re.findall(r'data-experiment="([^"]+)"', first.text)
    assert rows == created[::-1][:50]
    next_link = re.search(r'href="([^"]*cursor=[^"]+)"', first.text).group(1)
    second = browser.http.get(next_link.replace("&amp;", "&"))
    assert re.findall(r'data-experiment="([^"]+)"', second.text) == created[::-1][50:]
    assert "cursor=" not in second.text.split("</table>")[1]


def test_experiments_filter_by_group_status_and_tag(console, tenant, owner):
    keep = owner.create_experiment("keep", group="g1", tags={"team": "a"})
    owner.create_experiment("other-group", group="g2", tags={"team": "a"})
    owner.create_experiment("other-tag", group="g1", tags={"team": "b"})
    browser = console()
    browser.sign_in(tenant.owner_key)
    page = browser.http.get(
        "/experiments", params={"group": "g1", "status": "running", "tag": "team=a"}
    )
    assert re.findall(r'data-experiment="([^"]+)"', page.text) == [keep["id"]]


def test_models_are_searchable_by_name(console, tenant, owner):
    for name in ("churn-a", "churn-b", "fraud"):
        owner.create_model(name)
    browser = console()
    browser.sign_in(tenant.owner_key)
    page = browser.http.get("/models", params={"q": "CHURN"})
    assert re.findall(r'<td><a href="/models/([^"]+)">', page.text) == ["churn-b", "churn-a"]


def test_comparing_fewer_than_two_or_more_than_ten_experiments_is_a_readable_error(
    console, tenant, owner
):
    ids = [owner.create_experiment(f"r{i}")["id"] for i in range(11)]
    browser = console()
    browser.sign_in(tenant.owner_key)
    for chosen in (ids[:1], ids):
        response = browser.http.get("/experiments/compare", params={"ids": chosen})
        assert response.status_code == 422
        assert "between 2 and 10" in response.text


def test_try_it_with_invalid_json_answers_a_readable_fragment(console, tenant, owner):
    owner.create_model("m")
    browser = console()
    browser.sign_in(tenant.owner_key)
    token = browser.csrf()
    response = browser.http.post(
        "/models/m/versions/1/predict",
        data={"instances": "[{not json"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.text and "<html" not in response.text


def test_an_address_no_page_serves_is_a_404_page_for_browsers_and_json_for_the_api(console, tenant):
    browser = console()
    browser.sign_in(tenant.owner_key)
    page = browser.http.get("/no/such/page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text and "Traceback" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    api = browser.http.get("/api/v1/no/such/route", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"
