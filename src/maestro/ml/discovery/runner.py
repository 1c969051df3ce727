"""`discover`: run the four stages in order, timing each and reporting it to a callback."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import polars as pl
from threadpoolctl import threadpool_limits

from maestro.ml.discovery.alerts import (
    column_alerts,
    correlation_alerts,
    duplicate_alert,
    duplicate_rows,
)
from maestro.ml.discovery.encoding import EncodedSample, TargetView, encode_target, sample
from maestro.ml.discovery.generate import generate_candidates
from maestro.ml.discovery.leakage import leakage_suspects
from maestro.ml.discovery.profile import profile_columns
from maestro.ml.discovery.relevance import rank_features
from maestro.ml.discovery.report import DiscoveryReport
from maestro.ml.discovery.suggest import suggest_transformations
from maestro.ml.errors import DiscoveryError
from maestro.ml.features import is_supported
from maestro.ml.tasks import infer_task

StageCallback = Callable[[str, float, bool], None]
STAGES = ("profile", "relevance", "leakage", "generate")
#: Rows used by the stages whose cost grows faster than the row count (or is per feature).
DEFAULT_MAX_SAMPLE_ROWS = 200_000
MIN_ROWS_FOR_RELEVANCE = 10


def discover(
    df: pl.DataFrame,
    target: str | None,
    *,
    on_stage: StageCallback | None = None,
    max_sample_rows: int = DEFAULT_MAX_SAMPLE_ROWS,
    seed: int = 0,
) -> DiscoveryReport:
    """Profile `df`, and with a `target` rank, check for leakage and generate features.

    `on_stage(name, seconds, ok)` is called after every stage, also when it fails (ok=False).
    BLAS and OpenMP run single-threaded meanwhile: the stages make thousands of small vector
    calls, for which a multi-threaded BLAS spends more time waking and spinning its threads
    (against polars' own pool, on few cores) than computing: on 2 cores a 200,000-element dot
    product took ~200x and the correlation matrix ~7x longer than single-threaded.
    """
    with threadpool_limits(limits=1):
        return _discover(df, target, on_stage, max_sample_rows, seed)


def _discover(
    df: pl.DataFrame,
    target: str | None,
    on_stage: StageCallback | None,
    max_sample_rows: int,
    seed: int,
) -> DiscoveryReport:
    if df.width == 0:
        raise DiscoveryError("the dataset has no columns")
    if target is not None and target not in df.columns:
        raise DiscoveryError(
            f"target column '{target}' is not in the dataset; columns: {', '.join(df.columns)}"
        )
    if max_sample_rows < 1:
        raise DiscoveryError(f"max_sample_rows must be positive, got {max_sample_rows}")
    skipped = {c: str(t) for c, t in df.schema.items() if not is_supported(t)}
    if target in skipped:
        raise DiscoveryError(f"target column '{target}' has unsupported type {skipped[target]}")
    df = df.drop(list(skipped))
    if df.width == 0:
        raise DiscoveryError("no column has a supported (scalar) type")

    seconds: dict[str, float] = {}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        started = time.perf_counter()
        ok = False
        try:
            yield
            ok = True
        finally:
            seconds[name] = time.perf_counter() - started
            if on_stage is not None:
                on_stage(name, seconds[name], ok)

    with stage("profile"):
        uniform = sample(df, max_sample_rows, seed)
        profiles = profile_columns(df, uniform)
        duplicates = duplicate_rows(df)
        labelled = df if target is None else df.filter(pl.col(target).is_not_null())
        rows = uniform if labelled.height == df.height else sample(labelled, max_sample_rows, seed)
        alerts = (
            column_alerts(profiles)
            + correlation_alerts(rows, profiles)
            + duplicate_alert(duplicates, df.height)
        )
        report = DiscoveryReport(
            rows=df.height,
            columns=df.width + len(skipped),
            target=target,
            task=None,
            sampled_rows=rows.height,
            duplicate_rows=duplicates,
            profiles=profiles,
            alerts=alerts,
            stage_seconds=seconds,
            notes=[f"column '{c}' of type {t} was not analyzed" for c, t in skipped.items()],
        )
        features = [p for p in profiles if p.name != target]

    target_view: TargetView | None = None
    encoded = EncodedSample(rows)  # shared by relevance and leakage
    with stage("relevance"):
        target_view = _target_view(report, rows, target)
        if target_view is not None:
            report.relevance = rank_features(rows, features, target_view, encoded)

    with stage("leakage"):
        if target_view is not None:
            report.leakage = leakage_suspects(
                rows, features, target_view, report.relevance, seed, encoded
            )

    with stage("generate"):
        report.candidates = generate_candidates(rows, features, target_view, report.relevance)
        report.suggestions = suggest_transformations(features, alerts, report.leakage)
    return report


def _target_view(
    report: DiscoveryReport, rows: pl.DataFrame, target: str | None
) -> TargetView | None:
    """Encode the target, or explain in `notes` why target-based stages are skipped."""
    if target is None:
        report.notes.append("no target given: relevance and leakage were skipped")
        return None
    column = rows[target]
    if column.len() < MIN_ROWS_FOR_RELEVANCE:
        report.notes.append(
            f"only {column.len()} rows with a target value (fewer than "
            f"{MIN_ROWS_FOR_RELEVANCE}): relevance and leakage were skipped"
        )
        return None
    report.task = infer_task(column)
    if column.n_unique() < 2:
        report.notes.append(f"target '{target}' has a single value: nothing to relate features to")
        return None
    return encode_target(column, report.task)
