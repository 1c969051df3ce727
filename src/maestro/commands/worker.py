"""`maestro worker`: a Celery worker that runs jobs (executor `celery`)."""

from typing import Annotated

import typer

app = typer.Typer(help="Run background jobs (MAESTRO_EXECUTOR=celery).")


@app.callback(invoke_without_command=True)
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs run in parallel.")] = 2,
    queue: Annotated[
        str | None, typer.Option(help="Queue to consume (default MAESTRO_CELERY_QUEUE).")
    ] = None,
    hostname: Annotated[str | None, typer.Option(help="Celery node name.")] = None,
) -> None:
    """Consume the job queue from MAESTRO_BROKER_URL (or MAESTRO_REDIS_URL) until stopped."""
    from maestro.db.migrate import upgrade_to_head
    from maestro.db.session import Database
    from maestro.jobs.celery_app import create_celery_app
    from maestro.jobs.registry import load_job_kinds, registered_kinds
    from maestro.observability.logging import configure_logging
    from maestro.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    db = Database(settings.resolved_database_url)
    try:
        upgrade_to_head(db.engine)
    finally:
        db.dispose()  # children build their own engines; none may inherit this one
    load_job_kinds(settings.job_modules)
    typer.echo(f"job kinds: {', '.join(registered_kinds()) or '(none)'}", err=True)
    argv = [
        "worker",
        f"--loglevel={settings.log_level}",
        f"--concurrency={concurrency}",
        f"--queues={queue or settings.celery_queue}",
        "--without-gossip",
        "--without-mingle",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    create_celery_app(settings).worker_main(argv)
