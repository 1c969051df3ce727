"""The OpenAPI document says what the API does: errors, auth and input rules of every route."""

import pytest

from maestro.api.app import create_app
from maestro.settings import Settings

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("openapi"))).openapi()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/v1"):
                yield path, method, operation


def test_every_api_operation_lists_its_client_errors_with_the_envelope(document):
    for path, method, operation in operations(document):
        responses = operation["responses"]
        expected = {"401", "403", "429"} | ({"404"} if "{" in path else set())
        if "requestBody" in operation:
            expected |= {"400", "413", "422"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == ENVELOPE, (method, path, status)


def test_every_api_operation_declares_bearer_auth(document):
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, method, operation in operations(document):
        assert operation["security"] == [{"bearerAuth": []}], (method, path)


def test_name_alias_tag_and_cursor_rules_are_in_the_schema(document):
    schemas = document["components"]["schemas"]
    model = schemas["ModelCreate"]["properties"]
    assert model["name"]["pattern"].startswith("^[a-z0-9]")
    assert model["tags"]["propertyNames"]["pattern"] and model["tags"]["maxProperties"] == 50
    alias = next(
        p
        for p in document["paths"]["/api/v1/models/{name}/aliases/{alias}"]["put"]["parameters"]
        if p["name"] == "alias"
    )
    assert alias["schema"]["pattern"].startswith("^[a-z]")
    cursor = next(
        p for p in document["paths"]["/api/v1/models"]["get"]["parameters"] if p["name"] == "cursor"
    )
    assert "next_cursor" in cursor["description"]
    key_name = schemas["ApiKeyCreate"]["properties"]["name"]
    assert key_name["maxLength"] == 100  # the column's length


@pytest.mark.parametrize(
    "path", ["/api/v1/models/{name}/predict", "/api/v1/models/{name}/versions/{version}/deploy"]
)
def test_routes_that_run_a_model_list_the_serving_unavailable_503(document, path):
    response = document["paths"][path]["post"]["responses"]["503"]
    assert response["content"]["application/json"]["schema"] == ENVELOPE
    assert "serving_unavailable" in response["description"]
