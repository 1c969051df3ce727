"""The `maestro` command line (typer).

Imports stay inside commands: `serve --workers N` must set PROMETHEUS_MULTIPROC_DIR before
anything imports prometheus_client, and a quick `maestro version` should not load scikit-learn.
"""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from maestro import __version__
from maestro.commands import (
    admin,
    card,
    datasets,
    demo,
    experiments,
    features,
    models,
    train,
    worker,
)
from maestro.monitoring import cli as monitoring_cli

app = typer.Typer(help="Maestro: multi-tenant ML platform.", no_args_is_help=True)
app.add_typer(admin.app, name="admin")
app.add_typer(models.app, name="models")
app.add_typer(experiments.app, name="experiments")
app.add_typer(datasets.app, name="datasets")
app.add_typer(worker.app, name="worker")
app.add_typer(monitoring_cli.app, name="monitoring")
app.command("demo")(demo.demo)
app.add_typer(features.app, name="features")
app.command("train")(train.train)
app.command("card")(card.card)


def _prepare_multiprocess_dir() -> None:
    """A clean directory for per-worker metric files; stale files would resurrect old counts."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="maestro-metrics-")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (gunicorn if > 1).")] = 1,
) -> None:
    """Run the API (migrations are applied first)."""
    if workers > 1:
        _prepare_multiprocess_dir()
    from maestro.db.migrate import upgrade_to_head
    from maestro.db.session import Database
    from maestro.observability.logging import configure_logging
    from maestro.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    db = Database(settings.resolved_database_url)
    upgrade_to_head(db.engine)
    db.dispose()

    from maestro import server

    try:
        if workers > 1:
            server.run_workers(host, port, workers, settings.log_level)
        else:
            server.run_single(host, port, settings.log_level)
    finally:
        if workers > 1 and "maestro-metrics-" in os.environ["PROMETHEUS_MULTIPROC_DIR"]:
            shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


@app.command()
def version() -> None:
    """Print the Maestro version."""
    typer.echo(__version__)


if __name__ == "__main__":
    app()
