"""Feature discovery before and after a change: the same benchmark data, alternated rounds.

Runs `benchmarks/feature_discovery.py`'s Maestro child on the 1,000,000 x 50 Parquet file with
the `src/` of a git revision (`--before`, exported to a temporary directory) and with this
working tree, alternating, and reports per-stage medians, peak RSS and whether the findings
(leakage suspects) agree. Rewrites the `discovery_before_after` section of RESULTS.md.

    .venv/bin/python -m benchmarks.discovery_before_after --before REV [--rounds 2]
"""

import argparse
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from benchmarks._results import machine_line, write_section
from benchmarks.feature_discovery import generate

ROOT = Path(__file__).resolve().parent.parent


def run_child(src: Path, data: Path) -> dict:
    command = [sys.executable, "-m", "benchmarks.feature_discovery", "--child", "maestro"]
    out = subprocess.run(
        [*command, str(data)],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{src}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="git revision of the baseline")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        archive = subprocess.run(
            ["git", "archive", args.before, "src"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(workdir / "before", filter="data")
        data = workdir / "data.parquet"
        generate(args.rows, data)
        sides = {"before": workdir / "before" / "src", "after": ROOT / "src"}
        results: dict[str, list[dict]] = {side: [] for side in sides}
        for _ in range(args.rounds):
            for side, src in sides.items():
                results[side].append(run_child(src, data))
    stages = list(results["after"][0]["stages"])

    def median(side: str, key: str) -> float:
        return statistics.median(
            r["stages"][key] if key in stages else r[key] for r in results[side]
        )

    rows = "\n".join(
        f"| {key} | {median('before', key):.1f} | {median('after', key):.1f} "
        f"| {median('before', key) / median('after', key):.2f}x |"
        for key in [*stages, "run_s", "cpu_s"]
        if all(key in stages or key in r for side in sides for r in results[side])
    )
    peak = {s: max(r["peak_bytes"] for r in results[s]) / 2**30 for s in sides}
    same = {json.dumps(r["leakage"]) for side in sides for r in results[side]}
    markdown = f"""## Feature discovery before and after (`benchmarks/discovery_before_after.py`)

{args.rows:,} rows x 50 columns (the `feature_discovery` data), Maestro's `discover` with the
`src/` of `{args.before}` (before) and of this tree (after), {args.rounds} alternated rounds,
medians in seconds. {machine_line()}

| stage | before | after | speed-up |
|---|---|---|---|
{rows}

Peak RSS: before {peak["before"]:.2f} GiB, after {peak["after"]:.2f} GiB. Leakage suspects
{"identical in every run" if len(same) == 1 else "DIFFER"}: {sorted(same)}.
"""
    print(markdown)
    write_section("discovery_before_after", markdown)


if __name__ == "__main__":
    main()
