"""`maestro sweep`: run the orphan sweep once, against the configured database and store.

The API sweeps at start-up and every `MAESTRO_ORPHAN_SWEEP_INTERVAL_SECONDS`; this is for an
operator (or a cron job) who wants it now, e.g. after restoring from a crash.
"""

from typing import Annotated

import typer

from maestro.commands._common import print_json


def sweep(
    grace_seconds: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Only sweep leftovers older than this (default MAESTRO_ORPHAN_GRACE_SECONDS).",
        ),
    ] = None,
) -> None:
    """Delete stored objects no row references and interrupted uploads; print what was freed."""
    from maestro.db.migrate import upgrade_to_head
    from maestro.db.session import Database
    from maestro.services.orphans import OrphanSweeper
    from maestro.settings import get_settings
    from maestro.storage import artifact_store_from_uri

    settings = get_settings()
    db = Database(settings.resolved_database_url)
    try:
        upgrade_to_head(db.engine)
        store = artifact_store_from_uri(
            settings.resolved_artifact_uri, s3_endpoint_url=settings.s3_endpoint_url
        )
        grace = settings.orphan_grace_seconds if grace_seconds is None else grace_seconds
        report = OrphanSweeper(store, grace_seconds=grace).sweep(db)
    finally:
        db.dispose()
    print_json({"reclaimed": report.as_dict(), "objects": report.orphan_keys})
