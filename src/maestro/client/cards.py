"""Model cards: render a version's card and write its human sections."""

from typing import Any

from maestro.client.base import BaseClient


class CardsMixin(BaseClient):
    def get_card(self, model: str, version: str | int, format: str = "markdown") -> str:
        """The card as text (markdown, html, or a JSON document)."""
        response = self.request(
            "GET", f"/models/{model}/versions/{version}/card", params={"format": format}
        )
        return response.text

    def put_card(self, model: str, version: str | int, **sections: Any) -> dict[str, Any]:
        """Replace the human-written sections, e.g. `primary_uses=[...]`, `caveats="..."`."""
        return self._json("PUT", f"/models/{model}/versions/{version}/card", json=sections)
