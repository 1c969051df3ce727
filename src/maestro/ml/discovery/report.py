"""The feature discovery report: plain dataclasses with a JSON-safe `to_dict()`."""

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from maestro.ml.json_safe import json_safe

SemanticType = Literal["numeric", "categorical", "boolean", "datetime", "text", "identifier"]


@dataclass
class ColumnProfile:
    """What one column holds: its semantic type, completeness, cardinality and statistics."""

    name: str
    dtype: str
    semantic_type: SemanticType
    missing_count: int
    missing_ratio: float
    distinct_count: int
    distinct_ratio: float
    statistics: dict[str, Any] = field(default_factory=dict)
    top_values: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Alert:
    """A data-quality finding; `columns` is empty for dataset-level alerts (duplicate rows)."""

    type: str
    columns: list[str]
    message: str
    value: float | None = None


@dataclass
class FeatureRelevance:
    """How much one feature tells about the target (higher mutual information ranks first)."""

    feature: str
    rank: int
    mutual_information: float
    correlation: float | None = None
    anova_f: float | None = None
    anova_p: float | None = None


@dataclass
class LeakageSuspect:
    """A feature that alone predicts the target almost perfectly: likely derived from it."""

    feature: str
    metric: str
    score: float
    message: str


@dataclass
class Suggestion:
    """A transformation worth applying to a column before training, and why."""

    column: str
    transformation: str
    reason: str


@dataclass
class CandidateFeature:
    """A generated feature with the polars-like expression that builds it and its gain."""

    name: str
    expression: str
    kind: str
    parents: list[str]
    mutual_information: float | None = None
    correlation: float | None = None
    gain: float | None = None


@dataclass
class DiscoveryReport:
    """Full result of `discover`; `to_dict()` is what the service stores and returns."""

    rows: int
    columns: int
    target: str | None
    task: str | None
    sampled_rows: int
    duplicate_rows: int
    profiles: list[ColumnProfile]
    alerts: list[Alert] = field(default_factory=list)
    relevance: list[FeatureRelevance] = field(default_factory=list)
    leakage: list[LeakageSuspect] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    candidates: list[CandidateFeature] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def profile(self, name: str) -> ColumnProfile:
        """The profile of column `name` (KeyError if absent)."""
        for p in self.profiles:
            if p.name == name:
                return p
        raise KeyError(name)

    def alerts_of(self, alert_type: str) -> list[Alert]:
        """Alerts of one type, e.g. `identifier_like`."""
        return [a for a in self.alerts if a.type == alert_type]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable dict: NaN/inf become None, dates become ISO strings."""
        return json_safe(asdict(self))
