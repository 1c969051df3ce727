"""Model card shapes: the human-written sections (`PUT .../card`)."""

from typing import Any

from pydantic import BaseModel, Field

from maestro.api.schemas.common import RequestModel

Text = str | list[str] | None


class CardSections(RequestModel):
    """Sections people write; each a string or a list of strings (omitted: left empty)."""

    description: Text = None
    owners: Text = None
    license: Text = None
    references: Text = None
    citation: Text = None
    primary_uses: Text = Field(default=None, description="intended use")
    primary_users: Text = None
    out_of_scope: Text = None
    factors: Text = None
    decision_thresholds: Text = None
    training_data: Text = None
    evaluation_data: Text = None
    ethical_considerations: Text = None
    caveats: Text = None
    recommendations: Text = None


class Completeness(BaseModel):
    complete: bool
    empty_sections: list[str]
    filled: int
    total: int


class CardSectionsOut(BaseModel):
    sections: dict[str, Any]
    completeness: Completeness
