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
err_console = Console(stderr=True, soft_wrap=True)  # one error, one line

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
OutputOption = Annotated[
    str,
    typer.Option(
        "--output", "-o", help="table (for people) or json (for scripts).", case_sensitive=False
    ),
]


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


def print_rows(rows: list[dict[str, Any]], columns: dict[str, str], output: str) -> None:
    """Rows as a table whose cells are never cut (ids copy whole), or as JSON with `-o json`.

    `columns` maps a header to the row key it shows.
    """
    if output.lower() == "json":
        print_json(rows)
        return
    if output.lower() != "table":
        raise typer.BadParameter("table or json", param_hint="--output")
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for header in columns:
        table.add_column(header, no_wrap=True, overflow="ignore")
    for row in rows:
        table.add_row(*("" if row.get(k) is None else str(row.get(k)) for k in columns.values()))
    # As wide as the table needs, terminal or pipe: a truncated id cannot be pasted back.
    Console(width=10_000).print(table)


@contextmanager
def api_client(url: str, key: str | None, *, admin: bool = False) -> Iterator[MaestroClient]:
    """A client whose API errors end the command with a readable message and exit code 1.

    A missing key is a usage error (exit 2) naming the option and variable that supply it.
    """
    if not key:
        needed = (
            "the platform admin key is needed (--admin-key or MAESTRO_ADMIN_KEY; "
            "`maestro admin bootstrap --rotate` issues a new one)"
            if admin
            else "an API key is needed (--key or MAESTRO_API_KEY)"
        )
        err_console.print(f"[red]error:[/] {needed}")
        raise typer.Exit(2)
    try:
        with MaestroClient(url, api_key=key) as client:
            yield client
    except MaestroAPIError as exc:
        details = f" {json.dumps(exc.details, default=str)}" if exc.details else ""
        err_console.print(f"error: {exc.code}: {exc.message}{details}", markup=False)
        # The server found the arguments invalid: a usage error, like a malformed option.
        raise typer.Exit(2 if exc.code == "validation_error" else 1) from exc
    except httpx.TransportError as exc:  # connection refused, DNS, timeouts, ...
        err_console.print(f"[red]error:[/] cannot reach {url}: {exc}")
        raise typer.Exit(1) from exc
