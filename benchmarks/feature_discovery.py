"""Feature discovery benchmark: Maestro `discover` vs ydata-profiling `minimal=True`.

Generates 1,000,000 rows x 50 mixed columns plus a target, writes them to Parquet, and runs each
side in its own subprocess (Maestro from .venv, ydata-profiling from .venv-bench) so wall time
and peak RSS are measured in isolation; ydata-profiling is stopped after 10 minutes and its
figures are then lower bounds. Rewrites the `feature_discovery` section of RESULTS.md.

    .venv/bin/python -m benchmarks.feature_discovery [--rows N] [--timeout S] [--no-ydata]

`--no-ydata` measures Maestro alone (ydata-profiling needs 10 minutes and over 14 GiB here).
Besides wall time the Maestro side reports its CPU time (all threads): on a shared machine
the wall time grows with other work, the CPU time much less.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._results import machine_line, write_section

ROOT = Path(__file__).resolve().parent.parent
BENCH_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
GOAL_SECONDS, GOAL_GIB, GOAL_SPEEDUP = 10.0, 1.0, 10.0


def generate(rows: int, path: Path) -> None:
    """50 feature columns (numeric, skewed, missing, categorical up to 10k levels, boolean,
    datetime, identifier) and a binary target depending on a few of them."""
    from datetime import datetime

    import numpy as np
    import polars as pl

    rng = np.random.default_rng(42)
    cols: dict[str, object] = {"row_id": np.arange(rows)}
    for i in range(19):
        cols[f"num_{i}"] = rng.normal(i, 1 + i % 3, rows)
    for i in range(6):
        cols[f"skewed_{i}"] = rng.lognormal(3, 1, rows)
    for i in range(4):
        values = rng.normal(size=rows)
        cols[f"sparse_{i}"] = pl.Series(values).set(pl.Series(rng.random(rows) < 0.4), None)
    for i in range(4):
        cols[f"int_{i}"] = rng.integers(0, 100 * (i + 1), rows)
    for i, levels in enumerate((3, 12, 50, 1_000, 10_000, 7)):
        cols[f"cat_{i}"] = pl.Series(rng.integers(0, levels, rows)).cast(pl.String)
    for i in range(3):
        cols[f"flag_{i}"] = rng.random(rows) < 0.3 + 0.2 * i
    base = int(datetime(2020, 1, 1).timestamp())
    for i in range(2):
        cols[f"ts_{i}"] = pl.from_epoch(pl.Series(base + rng.integers(0, 4 * 365 * 86400, rows)))
    cols["constant"] = np.ones(rows)
    cols["near_dup"] = cols["num_0"] + rng.normal(0, 0.01, rows)
    cols["code"] = pl.Series(rng.integers(0, 5, rows)).cast(pl.String)
    cols["customer_ref"] = pl.Series(rng.permutation(rows)).cast(pl.String).str.pad_start(9, "X")
    logit = 0.8 * cols["num_1"] - 0.5 * np.log(cols["skewed_0"]) + (cols["int_0"] > 50)
    target = rng.random(rows) < 1 / (1 + np.exp(-(logit - logit.mean())))
    cols["leak"] = np.where(target, "closed", "open")
    cols["target"] = target
    df = pl.DataFrame(cols)
    assert df.width == 51, df.width
    df.write_parquet(path)


def child(side: str, path: str) -> None:
    """Run one side and print one JSON line with its own timings and peak RSS."""
    import resource

    started = time.perf_counter()
    cpu_started = time.process_time()
    if side == "maestro":
        import polars as pl

        from maestro.ml.discovery import discover

        df = pl.read_parquet(path)
        loaded = time.perf_counter()
        cpu_started = time.process_time()
        report = discover(df, "target")
        json.dumps(report.to_dict())
        extra = {
            "stages": report.stage_seconds,
            "leakage": [s.feature for s in report.leakage],
            "alerts": len(report.alerts),
        }
    else:
        import warnings

        warnings.filterwarnings("ignore")
        import pandas as pd
        from ydata_profiling import ProfileReport

        df = pd.read_parquet(path)
        loaded = time.perf_counter()
        ProfileReport(df, minimal=True, progress_bar=False).to_json()
        extra = {}
    done = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "load_s": loaded - started,
                "run_s": done - loaded,
                "cpu_s": time.process_time() - cpu_started,
                "peak_bytes": peak_kib * 1024,
            }
            | extra
        )
    )


def run_side(python: Path, side: str, path: Path, timeout: float, limit_gib: float) -> dict:
    """Start a child, poll its VmHWM, stop it at `timeout`; figures are lower bounds if so.

    The child's address space is capped at `limit_gib` so a memory-hungry peer fails with a
    MemoryError instead of waking the kernel's OOM killer on a shared machine.
    """
    import resource

    def cap() -> None:
        limit = int(limit_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = os.environ | {"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(python), "-m", "benchmarks.feature_discovery", "--child", side, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=cap,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _vm_hwm(proc.pid))
        if time.perf_counter() - started > timeout:
            proc.kill()
            proc.wait()
            return {"timed_out": True, "run_s": timeout, "peak_bytes": peak}
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        lines = err.strip().splitlines() or ["?"]
        return {
            "failed": True,
            "error": lines[-1],
            "run_s": time.perf_counter() - started,
            "peak_bytes": peak,
        }
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_bytes"] = max(result["peak_bytes"], peak)
    result["timed_out"] = False
    return result


def _vm_hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def render(rows: int, maestro: dict, ydata: dict | None, note: str) -> str:
    gib = maestro["peak_bytes"] / 2**30
    lines = [
        "## Feature discovery (`benchmarks/feature_discovery.py`)",
        "",
        f"{rows:,} rows x 50 mixed columns + binary target (numeric, skewed, 40 % missing, "
        "categorical up to 10,000 levels, boolean, datetime, identifier, a leaky column). "
        "Each side in its own subprocess; peak = max RSS of that process.",
        machine_line(),
        f"_1-minute load average when the run started: {os.getloadavg()[0]:.1f} "
        "(other work on the machine slows both sides)._",
        "",
        "| tool | discovery wall time (s) | CPU time (s) | load (s) | peak RSS (GiB) |",
        "|---|---|---|---|---|",
        f"| Maestro `discover` (profile, relevance, leakage, generate) | {maestro['run_s']:.1f} "
        f"| {maestro['cpu_s']:.1f} | {maestro['load_s']:.1f} | {gib:.2f} |",
    ]
    out_of_memory = bool(ydata) and "MemoryError" in str(ydata.get("error", ""))
    if ydata and (not ydata.get("failed") or out_of_memory):
        # A run stopped by the timeout or by the memory cap had not finished: lower bounds.
        unfinished = ydata["timed_out"] or ydata.get("failed", False)
        bound = "≥ " if unfinished else ""
        load = "-" if unfinished else f"{ydata['load_s']:.1f}"
        lines.append(
            f"| ydata-profiling 4.18.4 `minimal=True` (profile only, no target analysis) | "
            f"{bound}{ydata['run_s']:.1f} | - | {load} | "
            f"{bound}{ydata['peak_bytes'] / 2**30:.2f} |"
        )
        speedup = ydata["run_s"] / maestro["run_s"]
        memory = ydata["peak_bytes"] / maestro["peak_bytes"]
        lines += [
            "",
            f"- Speed-up: **{bound}{speedup:.1f}x** faster than ydata-profiling "
            f"(goal ≥ {GOAL_SPEEDUP:.0f}x); peak memory {bound}{memory:.1f}x lower.",
        ]
        if note:
            lines.append(f"- ydata-profiling did not finish: {note}.")
    else:
        lines += ["", f"- ydata-profiling: {note}."]
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in maestro.get("stages", {}).items())
    time_ok = "met" if maestro["run_s"] <= GOAL_SECONDS else "MISSED"
    memory_ok = "met" if gib <= GOAL_GIB else "MISSED"
    lines += [
        f"- Goals: ≤ {GOAL_SECONDS:.0f} s: {time_ok}; ≤ {GOAL_GIB:.0f} GiB: {memory_ok}.",
        f"- Maestro stages: {stages}. Leakage suspects found: {', '.join(maestro['leakage'])}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "PATH"))
    parser.add_argument("--memory-limit-gib", type=float, default=16.0)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--no-ydata", action="store_true", help="measure Maestro alone")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.parquet"
        generate(args.rows, path)
        maestro = run_side(
            Path(sys.executable), "maestro", path, args.timeout, args.memory_limit_gib
        )
        if maestro.get("failed"):
            sys.exit(f"maestro side failed: {maestro['error']}")
        print("maestro", json.dumps(maestro))
        ydata, note = None, ""
        if args.no_ydata:
            note = "not re-run (`--no-ydata`)"
        elif BENCH_PYTHON.exists():
            ydata = run_side(BENCH_PYTHON, "ydata", path, args.timeout, args.memory_limit_gib)
            if ydata.get("failed"):
                note = (
                    f"it failed after {ydata['run_s']:.0f} s (including loading) at "
                    f"{ydata['peak_bytes'] / 2**30:.1f} GiB RSS with its address space capped "
                    f"at {args.memory_limit_gib:.0f} GiB (shared machine): {ydata['error']}"
                )
            elif ydata.get("timed_out"):
                note = f"stopped after {args.timeout:.0f} s"
            print("ydata-profiling", json.dumps(ydata))
        else:
            note = (
                f"not measured ({BENCH_PYTHON} not found; create it and "
                "pip install ydata-profiling==4.18.4)"
            )
    body = render(args.rows, maestro, ydata, note)
    print(body)
    if not args.no_write:
        write_section("feature_discovery", body)


if __name__ == "__main__":
    main()
