"""`maestro datasets`: upload CSV or Parquet files (with a progress bar), list, show, delete."""

from pathlib import Path
from typing import Annotated

import typer

from maestro.commands._common import (
    DEFAULT_URL,
    KeyOption,
    UrlOption,
    api_client,
    print_json,
    transfer_progress,
)

app = typer.Typer(help="Datasets: uploaded CSV and Parquet files.", no_args_is_help=True)


@app.command()
def upload(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    name: Annotated[str | None, typer.Option(help="Display name (default: file name).")] = None,
    description: Annotated[str | None, typer.Option()] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Upload a CSV or Parquet file; prints the parsed columns, dtypes and row count."""
    progress = transfer_progress()
    with api_client(url, key) as client, progress:
        task = progress.add_task(f"uploading {path.name}", total=path.stat().st_size)
        dataset = client.upload_dataset(
            path,
            name or path.stem,
            description=description,
            progress=lambda sent: progress.advance(task, sent),
        )
    print_json(dataset)


@app.command("list")
def list_datasets(url: UrlOption = DEFAULT_URL, key: KeyOption = None) -> None:
    """List datasets as a table."""
    from rich.table import Table

    from maestro.commands._common import console

    with api_client(url, key) as client:
        datasets = client.list_datasets()
    table = Table("id", "name", "format", "rows", "columns", "bytes", "created")
    for d in datasets:
        table.add_row(
            d["id"],
            d["name"],
            d["format"],
            str(d["rows"]),
            str(len(d["columns"])),
            str(d["size_bytes"]),
            d["created_at"],
        )
    console.print(table)


@app.command()
def get(dataset_id: str, url: UrlOption = DEFAULT_URL, key: KeyOption = None) -> None:
    """Show one dataset: schema and a preview of the first rows."""
    with api_client(url, key) as client:
        print_json(client.get_dataset(dataset_id))


@app.command()
def delete(dataset_id: str, url: UrlOption = DEFAULT_URL, key: KeyOption = None) -> None:
    """Delete a dataset and its stored file, releasing its quota."""
    with api_client(url, key) as client:
        client.delete_dataset(dataset_id)
    typer.echo(f"deleted dataset {dataset_id}")
