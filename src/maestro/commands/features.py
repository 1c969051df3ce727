"""`maestro features discover`: automated feature discovery on a dataset."""

from typing import Annotated

import typer

from maestro.commands._common import DEFAULT_URL, KeyOption, UrlOption, api_client, print_json
from maestro.commands.train import follow, report

app = typer.Typer(help="Feature discovery.", no_args_is_help=True)


@app.command()
def discover(
    dataset_id: Annotated[str, typer.Argument(help="Dataset id.")],
    target: Annotated[str | None, typer.Option(help="Target column.")] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the job and print the report.")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Profile columns, rank them against the target, flag leakage, suggest features."""
    with api_client(url, key) as client:
        job = client.discover_features(dataset_id, target=target)
        if not wait:
            print_json(job)
            return
        final = follow(
            lambda on_progress: client.wait_for_feature_discovery(
                job["id"], timeout=None, on_progress=on_progress
            ),
            f"discovery {job['id'][:8]}",
        )
    report(final, lambda j: f"{len(j['report']['profiles'])} columns profiled")
    print_json(final["report"])
