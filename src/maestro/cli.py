"""The `maestro` command line (typer).

Imports stay inside commands: `serve --workers N` must set PROMETHEUS_MULTIPROC_DIR before
anything imports prometheus_client, and a quick `maestro version` should not load scikit-learn.
"""

import os
import shutil
import sys
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
    health,
    models,
    sweep,
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
app.command("sweep")(sweep.sweep)
app.add_typer(health.app, name="health")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (gunicorn if > 1).")] = 1,
) -> None:
    """Run the API (migrations are applied first)."""
    from maestro.observability import multiprocess_dir

    owned_metrics_dir = multiprocess_dir.prepare(os.environ, os.getpid()) if workers > 1 else None
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
        keep_alive = settings.http_keep_alive_seconds
        if workers > 1:
            server.run_workers(host, port, workers, settings.log_level, keep_alive=keep_alive)
        else:
            server.run_single(host, port, settings.log_level, keep_alive=keep_alive)
    finally:
        if owned_metrics_dir is not None:
            shutil.rmtree(owned_metrics_dir, ignore_errors=True)


@app.command()
def version() -> None:
    """Print the Maestro version."""
    typer.echo(__version__)


def main() -> None:
    """The `maestro` entry point: every failure is one line on stderr, never a traceback.

    A malformed command line (unknown option, bad value) exits 2, as usage errors do; any other
    failure exits 1. `--help` and a bare `maestro` print help as usual.
    """
    # typer 0.29 ships its own copy of click; its exceptions are the ones raised here.
    from typer._click import exceptions as click

    try:
        code = app(standalone_mode=False)
    except click.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
        sys.exit(2)
    except click.UsageError as exc:  # BadParameter, NoSuchOption, MissingParameter, ...
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        typer.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        typer.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
