"""`maestro card`: render a model version's card as markdown, html or json."""

from pathlib import Path
from typing import Annotated

import typer

from maestro.commands._common import DEFAULT_URL, KeyOption, UrlOption, api_client, console


def card(
    model: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str, typer.Argument(help="Version number, alias or 'latest'.")],
    card_format: Annotated[
        str, typer.Option("--format", help="markdown, html or json.")
    ] = "markdown",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Print the model card (or write it with -o)."""
    with api_client(url, key) as client:
        text = client.get_card(model, version, card_format)
    if output is None:
        console.out(text, highlight=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
