"""`maestro monitoring check`: the troubleshooting section of the dashboards README as a command.

The platform CLI mounts this with `app.add_typer(monitoring.cli.app, name="monitoring")`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from maestro.monitoring.check import DEFAULT_CARDINALITY_WARNING, CheckReport, Status, run_checks
from maestro.monitoring.contract import SCRAPE_JOB
from maestro.monitoring.dashboards import DEFAULT_DASHBOARDS_DIR, Intervals

app = typer.Typer(help="Check that Prometheus has what the Maestro dashboards need.")

_STYLE = {Status.OK: "green", Status.WARNING: "yellow", Status.ERROR: "bold red"}


@app.callback()
def _group() -> None:
    """Monitoring bundle tools."""


def render(report: CheckReport, console: Console, *, verbose: bool) -> None:
    """Problems always; passing checks only with --verbose, summarised otherwise."""
    table = Table(title=f"Maestro monitoring check: {report.prometheus_url}")
    for column in ("check", "subject", "status", "detail"):
        table.add_column(column, overflow="fold")
    for finding in report.findings:
        if verbose or finding.status is not Status.OK:
            style = _STYLE[finding.status]
            table.add_row(
                finding.check,
                finding.subject,
                f"[{style}]{finding.status}[/]",
                finding.detail,
            )
    if table.row_count:
        console.print(table)
    passed = len(report.findings) - len(report.errors) - len(report.warnings)
    console.print(
        f"{passed} passed, {len(report.warnings)} warnings, {len(report.errors)} errors",
        style="green" if report.ok else "bold red",
    )


@app.command()
def prometheus(
    target: Annotated[str, typer.Option(help="host:port of the local maestro serve")] = (
        "127.0.0.1:8000"
    ),
    listen: Annotated[str, typer.Option(help="Address Prometheus listens on")] = ("127.0.0.1:9090"),
    workdir: Annotated[
        Path, typer.Option(help="Configuration and TSDB directory", file_okay=False)
    ] = Path("maestro-data/prometheus"),
) -> None:
    """Run the Debian `prometheus` binary with the shipped rules, scraping a local serve."""
    from maestro.monitoring.local import PrometheusNotInstalledError, exec_prometheus, prepare

    try:
        local = prepare(workdir, target, listen=listen)
    except PrometheusNotInstalledError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    console = Console()
    console.print(f"Prometheus: {local.url} (scraping {target} as job {SCRAPE_JOB})")
    console.print(f"Then: maestro monitoring check --prometheus {local.url}")
    exec_prometheus(local)


@app.command()
def check(
    prometheus: Annotated[str, typer.Option(help="Prometheus base URL")] = "http://localhost:9090",
    dashboards: Annotated[
        Path, typer.Option(help="Directory of dashboard JSON files", file_okay=False)
    ] = DEFAULT_DASHBOARDS_DIR,
    rate_interval: Annotated[
        str, typer.Option(help="Value for $__rate_interval (at least 4 scrape intervals)")
    ] = "1m",
    interval: Annotated[str, typer.Option(help="Value for $__interval and range-query step")] = (
        "15s"
    ),
    time_range: Annotated[
        str, typer.Option("--range", help="Value for $__range and the range-query window")
    ] = "1h",
    job: Annotated[str, typer.Option(help="Scrape job of the API")] = SCRAPE_JOB,
    cardinality_warning: Annotated[
        int, typer.Option(help="Warn when one metric has more series than this")
    ] = DEFAULT_CARDINALITY_WARNING,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List passing checks")] = False,
) -> None:
    """Prometheus reachable, target up, contract metrics present, every panel query has data."""
    report = run_checks(
        prometheus,
        dashboards,
        intervals=Intervals(rate_interval=rate_interval, interval=interval, range=time_range),
        job=job,
        cardinality_warning=cardinality_warning,
    )
    render(report, Console(), verbose=verbose)
    if not report.ok:
        raise typer.Exit(1)
