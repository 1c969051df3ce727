"""Suggested transformations per column, from profiles, alerts and leakage suspects."""

from maestro.ml.discovery.alerts import HIGH_CARDINALITY, SKEWNESS
from maestro.ml.discovery.report import Alert, ColumnProfile, LeakageSuspect, Suggestion

MISSING_INDICATOR_RATIO = 0.05


def suggest_transformations(
    profiles: list[ColumnProfile], alerts: list[Alert], leakage: list[LeakageSuspect]
) -> list[Suggestion]:
    """At most one `drop` per column (with the strongest reason), otherwise encoding advice."""
    leaky = {s.feature for s in leakage}
    flagged = {(a.type, a.columns[0]) for a in alerts if a.columns}
    out: list[Suggestion] = []
    for p in profiles:
        drop_reason = _drop_reason(p, leaky, flagged)
        if drop_reason:
            out.append(Suggestion(p.name, "drop", drop_reason))
            continue
        if p.missing_count:
            strategy = "impute_median" if p.semantic_type == "numeric" else "impute_most_frequent"
            out.append(Suggestion(p.name, strategy, f"{p.missing_ratio:.1%} missing"))
        if p.missing_ratio >= MISSING_INDICATOR_RATIO:
            out.append(Suggestion(p.name, "add_missing_indicator", "missingness may carry signal"))
        out.extend(_encoding(p))
    for alert in alerts:
        if alert.type == "highly_correlated":
            out.append(
                Suggestion(
                    alert.columns[1],
                    "drop_or_combine",
                    f"redundant with {alert.columns[0]} ({alert.message})",
                )
            )
    return out


def _drop_reason(p: ColumnProfile, leaky: set[str], flagged: set[tuple[str, str]]) -> str | None:
    if p.name in leaky:
        return "suspected target leakage"
    if p.missing_ratio == 1.0:
        return "entirely null"
    if ("constant", p.name) in flagged:
        return "constant"
    if p.semantic_type == "identifier":
        return "row identifier"
    return None


def _encoding(p: ColumnProfile) -> list[Suggestion]:
    skew = p.statistics.get("skewness")
    minimum = p.statistics.get("min")
    if p.semantic_type == "numeric":
        if skew is not None and abs(skew) >= SKEWNESS and minimum is not None and minimum >= 0:
            return [Suggestion(p.name, "log1p", f"right-skewed (skewness {skew:.2f})")]
        return [Suggestion(p.name, "standard_scale", "numeric feature")]
    if p.semantic_type == "categorical":
        if p.distinct_count > HIGH_CARDINALITY:
            return [
                Suggestion(
                    p.name,
                    "target_or_frequency_encode",
                    f"{p.distinct_count} categories is too many to one-hot",
                )
            ]
        return [Suggestion(p.name, "one_hot", f"{p.distinct_count} categories")]
    if p.semantic_type == "datetime":
        return [Suggestion(p.name, "datetime_parts", "expose seasonality (month, weekday, hour)")]
    if p.semantic_type == "text":
        return [Suggestion(p.name, "tfidf", "free text")]
    return []
