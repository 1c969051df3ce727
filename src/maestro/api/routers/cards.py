"""Model cards of a model version: render (markdown, html, json) and the human-written sections."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from maestro.api.deps import Context, CurrentPrincipal
from maestro.api.schemas.cards import CardSections, CardSectionsOut
from maestro.api.schemas.models import VERSION_HELP

router = APIRouter(tags=["model cards"])
CARD_PATH = "/models/{name}/versions/{version}/card"


@router.get(
    CARD_PATH,
    response_class=Response,
    responses={
        200: {
            "content": {"text/markdown": {}, "text/html": {}, "application/json": {}},
            "description": f"The card. `version` is {VERSION_HELP}.",
        }
    },
)
def get_card(
    name: str,
    version: str,
    ctx: Context,
    principal: CurrentPrincipal,
    card_format: Annotated[
        str,
        Query(
            alias="format",
            description="markdown, html or json",
            json_schema_extra={"enum": ["markdown", "html", "json"]},
        ),
    ] = "markdown",
) -> Response:
    with ctx.db.read_session() as session:
        text, media_type = ctx.cards.render(session, principal, name, version, card_format)
    return Response(content=text, media_type=media_type)


@router.put(CARD_PATH)
def put_card(
    name: str, version: str, body: CardSections, ctx: Context, principal: CurrentPrincipal
) -> CardSectionsOut:
    """Replace the human-written sections (intended use, factors, ethics, caveats, ...)."""
    with ctx.db.session() as session:
        result = ctx.cards.put_sections(
            session, principal, name, version, body.model_dump(exclude_none=True)
        )
    return CardSectionsOut.model_validate(result)
