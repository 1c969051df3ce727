"""What every client-side command shares: server URL and key options, output, error handling."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer
from rich.console import Console

from maestro.client import MaestroAPIError, MaestroClient

if TYPE_CHECKING:
    from rich.progress import Progress

console = Console()
err_console = Console(stderr=True)

UrlOption = Annotated[
    str, typer.Option("--url", envvar="MAESTRO_URL", help="Maestro API base URL.")
]
KeyOption = Annotated[
    str | None,
    typer.Option("--key", envvar="MAESTRO_API_KEY", help="API key (mst_...).", show_default=False),
]
AdminKeyOption = Annotated[
    str | None,
    typer.Option(
        "--admin-key", envvar="MAESTRO_ADMIN_KEY", help="Platform admin key.", show_default=False
    ),
]
DEFAULT_URL = "http://127.0.0.1:8000"


def transfer_progress() -> "Progress":
    """The upload bar every streaming command shows (bytes, speed), on stderr."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err_console,
        transient=True,
    )


def print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))


@contextmanager
def api_client(url: str, key: str | None) -> Iterator[MaestroClient]:
    """A client whose API errors end the command with a readable message and exit code 1."""
    if not key:
        err_console.print("[red]error:[/] an API key is needed (--key or MAESTRO_API_KEY)")
        raise typer.Exit(1)
    try:
        with MaestroClient(url, api_key=key) as client:
            yield client
    except MaestroAPIError as exc:
        err_console.print(f"[red]error:[/] {exc.code}: {exc.message}")
        if exc.details:
            err_console.print_json(json.dumps(exc.details, default=str))
        raise typer.Exit(1) from exc
    except httpx.TransportError as exc:  # connection refused, DNS, timeouts, ...
        err_console.print(f"[red]error:[/] cannot reach {url}: {exc}")
        raise typer.Exit(1) from exc
