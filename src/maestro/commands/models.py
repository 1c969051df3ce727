"""`maestro models`: the model registry from the command line.

VERSION arguments take a number, an alias (`production`) or `latest`.
"""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from maestro.commands._common import (
    DEFAULT_URL,
    KeyOption,
    OutputOption,
    UrlOption,
    api_client,
    console,
    print_json,
    print_rows,
    transfer_progress,
)

app = typer.Typer(
    help="Model registry: models, versions, aliases, deploy, predict.", no_args_is_help=True
)

FormatOption = Annotated[
    str, typer.Option("--format", "-f", help="skops (servable), onnx or other.")
]


def _json_arg(value: str | None, what: str) -> Any:
    """Inline JSON, or @path to read it from a file."""
    if value is None:
        return None
    try:
        text = Path(value[1:]).read_text() if value.startswith("@") else value
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot read {value[1:]}: {exc.strerror}", param_hint=what
        ) from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise typer.BadParameter(f"not valid JSON: {exc}", param_hint=what) from None


def _tags(items: list[str] | None) -> dict[str, str] | None:
    if items is None:
        return None
    tags = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--tag")
        tags[key] = value
    return tags


@app.command()
def create(
    name: str,
    description: Annotated[str, typer.Option(help="What the model is for.")] = "",
    tag: Annotated[list[str] | None, typer.Option(help="KEY=VALUE, repeatable.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Register a new model name."""
    with api_client(url, key) as client:
        print_json(client.create_model(name, description=description, tags=_tags(tag)))


@app.command("list")
def list_(
    url: UrlOption = DEFAULT_URL, key: KeyOption = None, output: OutputOption = "table"
) -> None:
    """List the tenant's models (a table; `-o json` for scripts)."""
    with api_client(url, key) as client:
        models = list(client.list_models())
    for m in models:
        m["alias_list"] = ", ".join(f"{a}={v}" for a, v in sorted(m["aliases"].items()))
        m["deployed"] = (m.get("deployment") or {}).get("version")
    columns = {"name": "name", "latest": "latest_version", "aliases": "alias_list"}
    print_rows(models, columns | {"deployed": "deployed", "updated": "updated_at"}, output)


@app.command()
def get(
    name: str,
    version: Annotated[str | None, typer.Option(help="Show this version instead.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Show a model (aliases, deployment) or one of its versions."""
    with api_client(url, key) as client:
        print_json(client.get_version(name, version) if version else client.get_model(name))


@app.command()
def update(
    name: str,
    description: Annotated[str | None, typer.Option()] = None,
    tag: Annotated[list[str] | None, typer.Option(help="KEY=VALUE; replaces all tags.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Change a model's description or tags."""
    with api_client(url, key) as client:
        print_json(client.update_model(name, description=description, tags=_tags(tag)))


@app.command()
def delete(
    name: str,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Delete a model with all its versions, aliases, deployment and artifacts."""
    if not yes:
        typer.confirm(f"Delete model {name!r} and all its versions?", abort=True)
    with api_client(url, key) as client:
        client.delete_model(name)
    console.print(f"deleted model {name}")


@app.command()
def upload(
    name: str,
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    artifact_format: FormatOption = "skops",
    metadata: Annotated[
        str | None, typer.Option(help="JSON object, or @file.json (framework, metrics, ...).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Upload an artifact as the model's next version, streaming it with a progress bar."""
    meta = _json_arg(metadata, "--metadata")
    with (
        api_client(url, key) as client,
        transfer_progress() as progress,
    ):
        task = progress.add_task(f"uploading {path.name}", total=path.stat().st_size)
        version = client.upload_version(
            name,
            path,
            artifact_format,
            meta,
            progress=lambda sent: progress.advance(task, sent),
        )
    print_json(version)


@app.command()
def versions(name: str, url: UrlOption = DEFAULT_URL, key: KeyOption = None) -> None:
    """List a model's versions."""
    with api_client(url, key) as client:
        print_json(client.list_versions(name))


@app.command()
def download(
    name: str,
    version: str,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Download a version's artifact."""
    with api_client(url, key) as client:
        client.download_artifact(name, version, output)
    console.print(f"wrote {output}")


@app.command()
def alias(
    name: str,
    alias_name: Annotated[str, typer.Argument(metavar="ALIAS")],
    version: Annotated[int | None, typer.Argument(help="Version number to point at.")] = None,
    delete_: Annotated[bool, typer.Option("--delete", help="Remove the alias.")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Point ALIAS (e.g. production) at a version, or remove it with --delete."""
    if delete_ == (version is not None):
        raise typer.BadParameter("give either a VERSION or --delete")
    with api_client(url, key) as client:
        if delete_:
            client.delete_alias(name, alias_name)
            console.print(f"removed alias {alias_name} of {name}")
        else:
            assert version is not None
            print_json(client.set_alias(name, alias_name, version))


@app.command()
def deploy(name: str, version: str, url: UrlOption = DEFAULT_URL, key: KeyOption = None) -> None:
    """Serve a version of the model (replaces the deployed one)."""
    with api_client(url, key) as client:
        print_json(client.deploy(name, version))


@app.command()
def undeploy(name: str, url: UrlOption = DEFAULT_URL, key: KeyOption = None) -> None:
    """Stop serving the model."""
    with api_client(url, key) as client:
        client.undeploy(name)
    console.print(f"undeployed {name}")


@app.command()
def predict(
    name: str,
    instances: Annotated[
        str, typer.Argument(help="JSON list of rows (or @file.json), e.g. '[{\"age\": 31}]'.")
    ],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Predict with the deployed version."""
    rows = _json_arg(instances, "INSTANCES")
    if isinstance(rows, dict):
        rows = rows.get("instances", [rows])
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict | list) for r in rows):
        raise typer.BadParameter(
            'a JSON list of rows, each an object ({"age": 31}) or a list of values ([31, 5])',
            param_hint="INSTANCES",
        )
    with api_client(url, key) as client:
        # Rows as given: whether list rows fit the model is the server's answer (a 422 or not).
        response = client.request("POST", f"/models/{name}/predict", json={"instances": rows})
        print_json(response.json())
