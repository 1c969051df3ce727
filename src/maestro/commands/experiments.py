"""`maestro experiments`: start runs, log metrics, finish them, and read them back."""

import json
from typing import Annotated, Any

import typer

from maestro.commands._common import (
    DEFAULT_URL,
    KeyOption,
    OutputOption,
    UrlOption,
    api_client,
    print_json,
    print_rows,
)

app = typer.Typer(
    help="Experiments: tracked runs with params, tags and metrics.", no_args_is_help=True
)

StatusOption = Annotated[str, typer.Option(help="completed, failed or cancelled.")]


def _pairs(items: list[str] | None, option: str, *, as_json: bool) -> dict[str, Any]:
    """KEY=VALUE options; with `as_json`, values that parse as JSON keep their type (3, true)."""
    pairs: dict[str, Any] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=option)
        value: Any = raw
        if as_json:
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw
        pairs[name] = value
    return pairs


@app.command()
def create(
    name: str,
    group: Annotated[str | None, typer.Option(help="Group related runs together.")] = None,
    param: Annotated[list[str] | None, typer.Option(help="KEY=JSON, repeatable.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="KEY=VALUE, repeatable.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Start a running experiment and print it (its id is what the other commands take)."""
    params = _pairs(param, "--param", as_json=True)
    tags = _pairs(tag, "--tag", as_json=False)
    with api_client(url, key) as client:
        print_json(client.create_experiment(name, group=group, params=params, tags=tags))


@app.command("list")
def list_experiments(
    group: Annotated[str | None, typer.Option(help="Only this group.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    output: OutputOption = "table",
) -> None:
    """List experiments (a table; `-o json` for scripts)."""
    with api_client(url, key) as client:
        experiments = list(client.list_experiments(group=group, status=status))
    columns = {"id": "id", "name": "name", "group": "group", "status": "status"}
    print_rows(experiments, columns | {"created": "created_at"}, output)


@app.command()
def get(experiment_id: str, url: UrlOption = DEFAULT_URL, key: KeyOption = None) -> None:
    """Show one experiment with the latest value of every metric."""
    with api_client(url, key) as client:
        print_json(client.get_experiment(experiment_id))


@app.command()
def finish(
    experiment_id: str,
    status: StatusOption = "completed",
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Finish a running experiment (a finished one cannot change status again)."""
    with api_client(url, key) as client:
        print_json(client.finish_experiment(experiment_id, status))


@app.command("log-metric")
def log_metric(
    experiment_id: str,
    name: str,
    value: float,
    step: Annotated[int, typer.Option(min=0, help="Training step or epoch.")] = 0,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Log one metric point (the SDK's log_metrics sends up to 1,000 per request)."""
    with api_client(url, key) as client:
        client.log_metric(experiment_id, name, value, step=step)
    typer.echo(f"logged {name}={value} at step {step}")


@app.command()
def metrics(
    experiment_id: str,
    name: Annotated[str | None, typer.Option(help="Only this metric.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Print the metric history, ordered by step then timestamp."""
    with api_client(url, key) as client:
        print_json(client.metric_history(experiment_id, name=name))
