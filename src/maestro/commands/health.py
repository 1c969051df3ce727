"""`maestro health`: prediction logging, reference data, feedback, live performance, drift."""

from typing import Annotated, Any

import typer

from maestro.commands._common import (
    DEFAULT_URL,
    KeyOption,
    UrlOption,
    api_client,
    console,
    err_console,
    print_json,
)
from maestro.commands.models import _json_arg

app = typer.Typer(
    help="Model health: prediction log, reference data, feedback, drift.", no_args_is_help=True
)


@app.command()
def logging(
    name: str,
    rate: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Share of requests logged.")
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="Stop logging this model.")] = False,
    default: Annotated[bool, typer.Option("--default", help="Back to the default rate.")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Show or set the model's prediction-logging rate."""
    with api_client(url, key) as client:
        if off or default or rate is not None:
            value = 0.0 if off else (None if default else rate)
            print_json(client.set_monitoring(name, log_sample_rate=value))
        else:
            print_json(client.monitoring(name))


@app.command()
def reference(
    name: str,
    version: str,
    dataset_id: Annotated[str | None, typer.Argument(help="Set this dataset as reference.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Show (or set) the reference dataset drift compares a version's live inputs with."""
    with api_client(url, key) as client:
        if dataset_id is None:
            print_json(client.reference(name, version))
        else:
            print_json(client.set_reference(name, version, dataset_id))


@app.command()
def feedback(
    name: str,
    labels: Annotated[
        str,
        typer.Argument(
            help='JSON {"<prediction id>": label, ...} or a list of '
            '{"prediction_id", "label"} (or @file.json).'
        ),
    ],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Send true labels for logged predictions."""
    data = _json_arg(labels, "LABELS")
    pairs: Any = data
    if isinstance(data, list):
        pairs = [(item["prediction_id"], item["label"]) for item in data]
    with api_client(url, key) as client:
        print_json(client.feedback(name, pairs))


@app.command()
def performance(name: str, url: UrlOption = DEFAULT_URL, key: KeyOption = None) -> None:
    """Live accuracy or error per window, next to the training-time figure."""
    with api_client(url, key) as client:
        print_json(client.performance(name))


@app.command()
def drift(
    name: str,
    run: Annotated[bool, typer.Option("--run", help="Run a drift check now and wait.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --run.")] = 300.0,
    history: Annotated[
        bool, typer.Option("--history", help="Every run, not just the latest.")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """The latest drift run of the model (features flagged, scores), or its history."""
    with api_client(url, key) as client:
        if run:
            job = client.run_drift(name)
            try:
                runs = [client.wait_for_drift_run(name, job["id"], timeout=timeout)]
            except TimeoutError as exc:
                err_console.print(f"[red]error:[/] {exc}")
                raise typer.Exit(1) from exc
        else:
            runs = client.drift_runs(name)
        if not runs:
            console.print(f"no drift run for {name} yet")
            return
        print_json(runs if history else runs[-1])
