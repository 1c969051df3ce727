"""Model registry shapes: models, versions, aliases, deployment, prediction."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from maestro.api.schemas.common import JsonInt, RequestModel
from maestro.services.registry import ALIAS, MAX_TAG_VALUE, MAX_TAGS, MODEL_NAME, TAG_KEY

# Names, tags and aliases are validated by the registry service (so SDK/job callers get the same
# rules and failures are counted in the operation metrics); the descriptions document them.
NAME_HELP = "1-100 characters of a-z, 0-9, '.', '_', '-'; starts and ends with a letter or digit"
TAGS_HELP = "string -> string map (at most 50; keys [A-Za-z0-9_.:/-], values up to 500 chars)"
VERSION_HELP = "a version number, an alias (e.g. `production`) or `latest`"

Scalar = str | int | float | bool | None

# The rules above as JSON Schema, for the document only: validation stays in the service.
NAME_SCHEMA = {"pattern": MODEL_NAME.pattern}
ALIAS_SCHEMA = {"pattern": ALIAS.pattern, "maxLength": 63}
TAGS_SCHEMA = {
    "maxProperties": MAX_TAGS,
    "propertyNames": {"pattern": TAG_KEY.pattern},
    "additionalProperties": {"type": "string", "maxLength": MAX_TAG_VALUE},
}


class ModelCreate(RequestModel):
    name: str = Field(description=NAME_HELP, max_length=100, json_schema_extra=NAME_SCHEMA)
    description: str = Field(default="", max_length=10_000)
    tags: dict[str, str] = Field(
        default_factory=dict, description=TAGS_HELP, json_schema_extra=TAGS_SCHEMA
    )


class ModelPatch(RequestModel):
    description: str | None = Field(default=None, max_length=10_000)
    tags: dict[str, str] | None = Field(
        default=None, description="replaces all tags", json_schema_extra=TAGS_SCHEMA
    )


class DeploymentOut(BaseModel):
    version: int
    deployed_at: datetime


class ModelOut(BaseModel):
    id: str
    name: str
    description: str
    tags: dict[str, str]
    latest_version: int | None
    aliases: dict[str, int] = Field(description="alias -> version number")
    deployment: DeploymentOut | None
    created_at: datetime
    updated_at: datetime


class VersionOut(BaseModel):
    model: str
    version: int
    format: str
    size_bytes: int
    sha256: str
    metadata: dict[str, Any]
    aliases: list[str]
    created_by: str | None
    created_at: datetime


class AliasIn(RequestModel):
    version: JsonInt = Field(ge=1)


class AliasOut(BaseModel):
    model: str
    alias: str
    version: int


class DeployOut(BaseModel):
    model: str
    version: int
    deployed_at: datetime


class PredictIn(RequestModel):
    unstored_fields = frozenset({"instances"})  # features go to the model, not to a column
    instances: list[dict[str, Scalar]] | list[list[Scalar]] = Field(
        min_length=1,
        max_length=10_000,
        description="rows of feature name -> value; for a model fitted without feature "
        "names, rows of values in training column order",
    )


class PredictOut(BaseModel):
    model: str
    model_version: int
    predictions: list[Any]
    probabilities: list[list[float | None]] | None = Field(
        description="per-class probabilities, for classifiers only"
    )
    prediction_id: str | None = Field(
        default=None, description="the request's id in the prediction log; null if not sampled"
    )
    prediction_ids: list[str] | None = Field(
        default=None, description="one id per row, for `POST /models/{name}/feedback`"
    )
