"""Model cards (Mitchell et al. 2019) built from registry, training, dataset and discovery dicts.

`build_card` reads plain dicts so the service can pass its rows and stored job results as-is.
Keys read (all optional unless marked):

- model: `name` (required), `description`, `tags` (list), `created_at`.
- version: `version` (required), `created_at`, `format`, `size_bytes`, `sha256`,
  `metadata` (dict; its `metrics`, `algorithm`, `task`, `framework` are fallbacks when no
  training result is given).
- training: `TrainingResult.to_dict()` (`algorithm`, `task`, `hyperparameters`, `target`,
  `features`, `dropped_features`, `classes`, `metrics`, `confusion_matrix`, `slice_metrics`,
  `rows`, `train_rows`, `test_rows`, `duration_seconds`) plus the job's `test_size`, `seed`,
  `evaluation_slices`.
- dataset: `name`, `id`, `rows`, `columns` (list of `{"name", "dtype"}`), `size_bytes`.
- discovery: `DiscoveryReport.to_dict()` (`leakage`, `alerts`, `relevance`).
- human: the sections people write via `PUT .../card`, keys in `HUMAN_FIELDS`; each value is
  a string or a list of strings.
"""

import re
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

CardFormat = Literal["markdown", "html", "json"]

HUMAN_FIELDS: tuple[str, ...] = (
    "description",
    "owners",
    "license",
    "references",
    "citation",
    "primary_uses",
    "primary_users",
    "out_of_scope",
    "factors",
    "decision_thresholds",
    "training_data",
    "evaluation_data",
    "ethical_considerations",
    "caveats",
    "recommendations",
)
SECTIONS: tuple[str, ...] = (
    "model_details",
    "intended_use",
    "factors",
    "metrics",
    "evaluation_data",
    "training_data",
    "quantitative_analyses",
    "ethical_considerations",
    "caveats_and_recommendations",
)
_METRIC_NAMES = {
    "accuracy": "Accuracy",
    "f1_macro": "F1 (macro)",
    "roc_auc": "ROC AUC",
    "log_loss": "Log loss",
    "rmse": "RMSE",
    "mae": "MAE",
    "r2": "R²",
}
_HF_METRIC_TYPES = {"f1_macro": "f1", "roc_auc": "roc_auc", "r2": "r_squared"}


@dataclass
class ModelDetails:
    name: str
    version: str
    description: str = ""
    owners: list[str] = field(default_factory=list)
    created_at: str | None = None
    algorithm: str | None = None
    task: str | None = None
    framework: str = ""
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    license: str | None = None
    tags: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    citation: str | None = None
    artifact_sha256: str | None = None


@dataclass
class IntendedUse:
    primary_uses: list[str] = field(default_factory=list)
    primary_users: list[str] = field(default_factory=list)
    out_of_scope: list[str] = field(default_factory=list)


@dataclass
class Factors:
    relevant: list[str] = field(default_factory=list)
    evaluation_slices: list[str] = field(default_factory=list)


@dataclass
class MetricsInfo:
    measures: list[str] = field(default_factory=list)
    decision_thresholds: list[str] = field(default_factory=list)
    variation: str = ""


@dataclass
class DataInfo:
    dataset: str | None = None
    rows: int | None = None
    description: list[str] = field(default_factory=list)
    preprocessing: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    target: str | None = None


@dataclass
class QuantitativeAnalyses:
    overall: dict[str, float | None] = field(default_factory=dict)
    slices: list[dict[str, Any]] = field(default_factory=list)
    classes: list[Any] | None = None
    confusion_matrix: list[list[int]] | None = None


@dataclass
class CaveatsAndRecommendations:
    caveats: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)


@dataclass
class ModelCard:
    """The nine sections of Mitchell et al. (2019), in their order."""

    model_details: ModelDetails
    intended_use: IntendedUse
    factors: Factors
    metrics: MetricsInfo
    evaluation_data: DataInfo
    training_data: DataInfo
    quantitative_analyses: QuantitativeAnalyses
    ethical_considerations: list[str]
    caveats_and_recommendations: CaveatsAndRecommendations

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_card(
    model: dict[str, Any],
    version: dict[str, Any],
    training: dict[str, Any] | None,
    dataset: dict[str, Any] | None,
    discovery: dict[str, Any] | None,
    human: dict[str, Any],
) -> ModelCard:
    """Assemble a card; facts come from the system, judgement from `human`."""
    training = training or {}
    dataset = dataset or {}
    discovery = discovery or {}
    meta = version.get("metadata") or {}
    if not isinstance(meta, dict):
        meta = {}
    metrics = training.get("metrics") or _of_type(meta, "metrics", dict) or {}
    task = training.get("task") or _of_type(meta, "task", str)
    slices = list(
        dict.fromkeys(
            [*(training.get("evaluation_slices") or [])]
            + [s["feature"] for s in training.get("slice_metrics") or []]
        )
    )
    dataset_name = dataset.get("name") or (str(dataset["id"]) if "id" in dataset else None)
    details = ModelDetails(
        name=str(model["name"]),
        version=str(version["version"]),
        description=_text(human.get("description")) or str(model.get("description") or ""),
        owners=_list(human.get("owners")),
        created_at=_str_or_none(version.get("created_at")),
        algorithm=training.get("algorithm") or _of_type(meta, "algorithm", str),
        task=task,
        framework=str(meta.get("framework") or ("scikit-learn " + _sklearn_version())),
        hyperparameters=training.get("hyperparameters")
        or _of_type(meta, "hyperparameters", dict)
        or {},
        license=_text(human.get("license")) or None,
        tags=[str(t) for t in model.get("tags") or []],
        references=_list(human.get("references")),
        citation=_text(human.get("citation")) or None,
        artifact_sha256=version.get("sha256"),
    )
    split = _split_text(training)
    card = ModelCard(
        model_details=details,
        intended_use=IntendedUse(
            primary_uses=_list(human.get("primary_uses")),
            primary_users=_list(human.get("primary_users")),
            out_of_scope=_list(human.get("out_of_scope")),
        ),
        factors=Factors(relevant=_list(human.get("factors")), evaluation_slices=slices),
        metrics=MetricsInfo(
            measures=[_METRIC_NAMES.get(k, k) for k in metrics],
            decision_thresholds=_list(human.get("decision_thresholds")),
            variation=(
                "Metrics are computed once on a held-out split; per-slice results show variation "
                "across the evaluation slices."
                if metrics
                else ""
            ),
        ),
        evaluation_data=DataInfo(
            dataset=dataset_name if training else None,
            rows=training.get("test_rows"),
            description=_list(human.get("evaluation_data")) + ([split] if split else []),
        ),
        training_data=DataInfo(
            dataset=dataset_name,
            rows=training.get("train_rows") or dataset.get("rows"),
            description=_list(human.get("training_data")),
            preprocessing=_preprocessing(training),
            features=list(training.get("features") or _list(_of_type(meta, "features", list))),
            target=training.get("target") or _of_type(meta, "target", str),
        ),
        quantitative_analyses=QuantitativeAnalyses(
            overall=dict(metrics),
            slices=list(training.get("slice_metrics") or []),
            classes=training.get("classes"),
            confusion_matrix=training.get("confusion_matrix"),
        ),
        ethical_considerations=_list(human.get("ethical_considerations")),
        caveats_and_recommendations=CaveatsAndRecommendations(
            caveats=_automatic_caveats(training, discovery) + _list(human.get("caveats")),
            recommendations=_list(human.get("recommendations")),
        ),
    )
    return card


def completeness(card: ModelCard) -> list[str]:
    """Names of the sections (see SECTIONS) that are still empty."""
    empty = []
    for name in SECTIONS:
        value = getattr(card, name)
        if name == "model_details":
            filled = bool(value.description)
        elif name in ("evaluation_data", "training_data"):
            filled = bool(value.dataset or value.rows or value.description)
        else:
            filled = _has_content(asdict(value) if not isinstance(value, list) else value)
        if not filled:
            empty.append(name)
    return empty


def render(card: ModelCard, fmt: CardFormat) -> str:
    """Render to `markdown`, `html` or `json` text."""
    if fmt == "markdown":
        return render_markdown(card)
    if fmt == "html":
        return render_html(card)
    if fmt == "json":
        import json

        return json.dumps(to_model_card_toolkit(card), indent=2, default=str)
    raise ValueError(f"unknown card format '{fmt}'; use markdown, html or json")


def render_markdown(card: ModelCard) -> str:
    """Markdown with Hugging Face YAML front matter (`model-index` carries the metrics)."""
    front = yaml.safe_dump(
        _neutralize_tree(_front_matter(card)), sort_keys=False, allow_unicode=True
    )
    body = _env(html=False).get_template("model_card.md").render(**_context(card))
    return f"---\n{front}---\n\n{body}"


def render_html(card: ModelCard) -> str:
    """Self-contained HTML (inline CSS, no external assets); every string is autoescaped."""
    return _env(html=True).get_template("model_card.html").render(**_context(card))


def to_model_card_toolkit(card: ModelCard) -> dict[str, Any]:
    """The card in model-card-toolkit's JSON schema (v0.0.2 field names)."""
    d = card.model_details
    qa = card.quantitative_analyses
    performance = [
        {"type": name, "value": _metric_str(value)}
        for name, value in qa.overall.items()
        if value is not None
    ] + [
        {"type": name, "value": _metric_str(value), "slice": f"{s['feature']}={s['value']}"}
        for s in qa.slices
        for name, value in s["metrics"].items()
        if value is not None
    ]
    considerations = card.caveats_and_recommendations
    return {
        "schema_version": "0.0.2",
        "model_details": {
            "name": d.name,
            "overview": d.description,
            "owners": [{"name": o} for o in d.owners],
            "version": {"name": d.version, "date": d.created_at},
            "licenses": [{"custom_text": d.license}] if d.license else [],
            "references": [{"reference": r} for r in d.references],
            "citations": [{"citation": d.citation}] if d.citation else [],
        },
        "model_parameters": {
            "model_architecture": " ".join(filter(None, [d.algorithm, d.task])) or None,
            "data": [
                {"name": f"{role}: {info.dataset}", "description": _join(info.description)}
                for role, info in (
                    ("train", card.training_data),
                    ("eval", card.evaluation_data),
                )
                if info.dataset
            ],
            "input_format": ", ".join(card.training_data.features) or None,
            "output_format": card.training_data.target,
        },
        "quantitative_analysis": {"performance_metrics": performance},
        "considerations": {
            "users": [{"description": u} for u in card.intended_use.primary_users],
            "use_cases": [{"description": u} for u in card.intended_use.primary_uses],
            "limitations": [{"description": c} for c in considerations.caveats]
            + [{"description": f"Out of scope: {o}"} for o in card.intended_use.out_of_scope],
            "tradeoffs": [{"description": r} for r in considerations.recommendations],
            "ethical_considerations": [
                {"name": e, "mitigation_strategy": None} for e in card.ethical_considerations
            ],
        },
    }


def _front_matter(card: ModelCard) -> dict[str, Any]:
    d = card.model_details
    hf_task = f"tabular-{d.task}" if d.task else None
    metrics = [
        {
            "type": _HF_METRIC_TYPES.get(name, name),
            "value": value,
            "name": _METRIC_NAMES.get(name, name),
        }
        for name, value in card.quantitative_analyses.overall.items()
        if value is not None
    ]
    front: dict[str, Any] = {
        "license": d.license or "other",
        "library_name": "sklearn",
        "tags": ["maestro", "sklearn", *([hf_task] if hf_task else []), *d.tags],
    }
    if card.training_data.dataset:
        front["datasets"] = [card.training_data.dataset]
    if metrics:
        front["metrics"] = sorted({m["type"] for m in metrics})
        front["model-index"] = [
            {
                "name": d.name,
                "results": [
                    {
                        "task": {"type": hf_task or "tabular", "name": (d.task or "").title()},
                        "dataset": {
                            "type": card.training_data.dataset or "tabular",
                            "name": card.training_data.dataset or "held-out split",
                        },
                        "metrics": metrics,
                    }
                ],
            }
        ]
    return front


def _context(card: ModelCard) -> dict[str, Any]:
    return {
        "card": card,
        "metric_names": _METRIC_NAMES,
        "fmt": _metric_str,
        "empty": completeness(card),
    }


@cache
def _env(html: bool) -> Environment:
    """HTML: Jinja2 autoescape. Markdown: every printed value still gets `<`, `>` and `&`
    escaped, so HTML embedded in user text is shown rather than run by a renderer."""
    return Environment(
        loader=PackageLoader("maestro.ml", "templates"),
        autoescape=html,  # noqa: S701 - markdown is escaped by `finalize` below
        finalize=None if html else _neutralize_html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


# A link scheme that runs code or smuggles a document when a renderer follows it.
_UNSAFE_SCHEME = re.compile(r"(?i)\b(javascript|vbscript|data)(\s*):")


def _neutralize_html(value: Any) -> Any:
    """User text as inert Markdown: HTML shown, not run; no link can be formed, and a
    `javascript:` (or `vbscript:`, `data:`) scheme loses its colon to an entity."""
    if isinstance(value, str):
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        value = value.replace("[", "\\[").replace("]", "\\]")
        return _UNSAFE_SCHEME.sub(r"\1\2&#58;", value)
    return value


def _neutralize_tree(value: Any) -> Any:
    """`_neutralize_html` on every string of the front matter (keys included)."""
    if isinstance(value, dict):
        return {_neutralize_html(k): _neutralize_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_neutralize_tree(v) for v in value]
    return _neutralize_html(value)


def _automatic_caveats(training: dict[str, Any], discovery: dict[str, Any]) -> list[str]:
    """Warnings the platform knows about: leakage suspects, dropped and identifier columns."""
    caveats = [
        f"Possible target leakage: {s['message']}. Verify this feature is available at "
        "prediction time, or retrain without it."
        for s in discovery.get("leakage") or []
    ]
    for alert in discovery.get("alerts") or []:
        if alert.get("type") in ("identifier_like", "duplicate_rows"):
            caveats.append(f"Data quality: {alert['message']}.")
    for column, reason in (training.get("dropped_features") or {}).items():
        caveats.append(f"Column '{column}' was not used for training: {reason}.")
    return caveats


def _preprocessing(training: dict[str, Any]) -> list[str]:
    if not training:
        return []
    return [
        "numeric: median imputation and standard scaling",
        "categorical: constant imputation and one-hot encoding (rare levels grouped)",
        "boolean: most-frequent imputation; datetime: year, month, day, weekday, hour",
    ]


def _split_text(training: dict[str, Any]) -> str:
    if not training.get("test_rows"):
        return ""
    size = training.get("test_size")
    seed = training.get("seed")
    return (
        f"Held-out split of {training['test_rows']} rows"
        + (f" ({size:.0%} of labelled rows)" if isinstance(size, int | float) else "")
        + (f", seed {seed}" if seed is not None else "")
        + (", stratified by class" if training.get("task") == "classification" else "")
    )


def _has_content(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_content(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_content(v) for v in value)
    return value not in (None, "", 0)


def _of_type(meta: dict[str, Any], key: str, kind: type) -> Any:
    """A fallback from user metadata, only when it has the shape the card needs: a version
    uploaded with `{"features": 5}` or `{"task": 123}` renders a card without them."""
    value = meta.get(key)
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


def _list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)]


def _text(value: Any) -> str:
    return "\n".join(_list(value))


def _join(items: list[str]) -> str | None:
    return " ".join(items) or None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _metric_str(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _sklearn_version() -> str:
    try:
        return version("scikit-learn")
    except PackageNotFoundError:  # pragma: no cover - sklearn is a hard dependency
        return ""
