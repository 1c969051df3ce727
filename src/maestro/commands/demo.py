"""`maestro demo`: realistic traffic from several tenants, with a live display."""

from typing import Annotated

import typer

from maestro.commands._common import DEFAULT_URL, AdminKeyOption, UrlOption, err_console


def demo(
    url: UrlOption = DEFAULT_URL,
    admin_key: AdminKeyOption = None,
    duration: Annotated[float, typer.Option(min=1, help="Seconds of traffic.")] = 60.0,
    workers: Annotated[int, typer.Option(min=1, max=32, help="Concurrent demo users.")] = 4,
    seed: Annotated[int | None, typer.Option(help="Make the traffic reproducible.")] = None,
) -> None:
    """Generate traffic covering every metric: registry, predictions, experiments, datasets,
    jobs, cards, some 4xx and 429s, one tenant above 80% of a quota."""
    if not admin_key:
        err_console.print(
            "[red]error:[/] the admin key is needed (--admin-key or MAESTRO_ADMIN_KEY)"
        )
        raise typer.Exit(1)
    from maestro.demo.runner import run_demo

    tally = run_demo(url, admin_key, duration, workers=workers, seed=seed)
    for failure in tally.failures:
        err_console.print(f"[red]failed:[/] {failure}")
    if tally.failed:
        raise typer.Exit(1)
