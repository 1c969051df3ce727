"""`maestro datasets`: upload CSV or Parquet files (with a progress bar), list, show, delete."""

from pathlib import Path
from typing import Annotated

import typer

from maestro.commands._common import (
    DEFAULT_URL,
    KeyOption,
    OutputOption,
    UrlOption,
    api_client,
    print_json,
    print_rows,
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
    output: OutputOption = "table",
) -> None:
    """Upload a CSV or Parquet file; prints its new id and a summary (`-o json`: everything)."""
    progress = transfer_progress()
    with api_client(url, key) as client, progress:
        task = progress.add_task(f"uploading {path.name}", total=path.stat().st_size)
        dataset = client.upload_dataset(
            path,
            name or path.stem,
            description=description,
            progress=lambda sent: progress.advance(task, sent),
        )
    if output.lower() == "json":
        print_json(dataset)
        return
    typer.echo(dataset["id"])
    names = ", ".join(c["name"] for c in dataset["columns"][:8])
    more = f", ... ({len(dataset['columns'])} columns)" if len(dataset["columns"]) > 8 else ""
    typer.echo(
        f"uploaded {dataset['name']!r}: {dataset['rows']} rows, {dataset['format']}, "
        f"{dataset['size_bytes']} bytes; columns: {names}{more}",
        err=True,
    )


@app.command("list")
def list_datasets(
    url: UrlOption = DEFAULT_URL, key: KeyOption = None, output: OutputOption = "table"
) -> None:
    """List datasets (a table; `-o json` for scripts)."""
    with api_client(url, key) as client:
        datasets = list(client.list_datasets())
    for d in datasets:
        d["n_columns"] = len(d["columns"])
    columns = {"id": "id", "name": "name", "format": "format", "rows": "rows"}
    columns |= {"columns": "n_columns", "bytes": "size_bytes", "created": "created_at"}
    print_rows(datasets, columns, output)


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
