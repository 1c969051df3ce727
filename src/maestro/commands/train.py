"""`maestro train`: launch a training job and, with --wait, follow it with a live progress bar."""

import json
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


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs; values are JSON when they parse (10, 0.1, true, null, "x"), else text."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected key=value, got {pair!r}", param_hint="--param")
        try:
            params[key.strip()] = json.loads(text)
        except ValueError:
            params[key.strip()] = text
    return params


def train(
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset id.")],
    target: Annotated[str, typer.Option(help="Column to predict.")],
    algorithm: Annotated[
        str,
        typer.Option(
            help="logistic_regression, linear_regression, ridge, random_forest, gradient_boosting"
        ),
    ],
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Hyperparameter k=v (repeatable).")
    ] = None,
    task: Annotated[str, typer.Option(help="classification, regression or auto.")] = "auto",
    feature: Annotated[
        list[str] | None, typer.Option("--feature", help="Feature column (repeatable).")
    ] = None,
    slice_: Annotated[
        list[str] | None,
        typer.Option("--slice", help="Column for per-slice metrics (repeatable)."),
    ] = None,
    test_size: Annotated[float, typer.Option(help="Held-out share of the rows.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Split and estimator seed.")] = 0,
    register_as: Annotated[
        str | None, typer.Option(help="Model name (created if missing).")
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the job until it ends.")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Train a model on a dataset; exit 1 if the job fails or is cancelled (with --wait)."""
    hyperparameters = parse_params(param or [])
    with api_client(url, key) as client:
        job = client.train(
            dataset,
            target,
            algorithm,
            task=task,
            hyperparameters=hyperparameters,
            feature_columns=feature or None,
            test_size=test_size,
            seed=seed,
            evaluation_slices=slice_ or [],
            register_as=register_as,
        )
        if not wait:
            print_json(job)
            return
        final = follow(
            lambda on_progress: client.wait_for_training_job(
                job["id"], timeout=None, on_progress=on_progress
            ),
            f"training {job['id'][:8]}",
        )
    report(final, lambda j: f"registered {j['model']} version {j['model_version']}")
    print_json({k: final[k] for k in ("id", "status", "model", "model_version", "metrics")})


def follow(wait: Any, title: str) -> dict[str, Any]:
    """Run `wait(on_progress)` under a live rich bar showing the stage and percent."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        task_id = bar.add_task(title, total=100, stage="queued")

        def on_progress(job: dict[str, Any]) -> None:
            progress = job.get("progress") or {}
            stage = progress.get("stage") or job["status"]
            bar.update(task_id, completed=progress.get("percent", 0.0), stage=stage)

        return wait(on_progress)


def report(job: dict[str, Any], success: Any) -> None:
    """Say how the job ended; a failed or cancelled job ends the command with exit code 1."""
    if job["status"] == "succeeded":
        console.print(f"[green]succeeded:[/] {success(job)}")
        return
    err_console.print(f"[red]{job['status']}:[/] {job.get('error') or 'no reason given'}")
    raise typer.Exit(1)
