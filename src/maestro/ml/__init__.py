"""Pure ML layer: training, prediction, artifacts, feature discovery and model cards.

Knows nothing of HTTP, databases or metrics; the service layer calls these functions and
records metrics from their callbacks.
"""

from maestro.ml.catalog import CATALOG, Algorithm, get_algorithm
from maestro.ml.discovery import DiscoveryReport, discover
from maestro.ml.errors import (
    DiscoveryError,
    InvalidHyperparameterError,
    MissingTargetError,
    MLError,
    NoUsableFeaturesError,
    SingleClassTargetError,
    TargetAllNullError,
    TooFewRowsError,
    TrainingCancelled,
    TrainingError,
    UnknownAlgorithmError,
    UnknownFeatureError,
    UntrustedArtifactError,
)
from maestro.ml.model_card import (
    HUMAN_FIELDS,
    SECTIONS,
    ModelCard,
    build_card,
    completeness,
    render,
    render_html,
    render_markdown,
    to_model_card_toolkit,
)
from maestro.ml.prediction import predict
from maestro.ml.serialization import dump_model, is_pickle_like, load_model, sniff_format
from maestro.ml.training import TrainingResult, train

__all__ = [
    "CATALOG",
    "HUMAN_FIELDS",
    "SECTIONS",
    "Algorithm",
    "DiscoveryError",
    "DiscoveryReport",
    "InvalidHyperparameterError",
    "MLError",
    "MissingTargetError",
    "ModelCard",
    "NoUsableFeaturesError",
    "SingleClassTargetError",
    "TargetAllNullError",
    "TooFewRowsError",
    "TrainingCancelled",
    "TrainingError",
    "TrainingResult",
    "UnknownAlgorithmError",
    "UnknownFeatureError",
    "UntrustedArtifactError",
    "build_card",
    "completeness",
    "discover",
    "dump_model",
    "get_algorithm",
    "is_pickle_like",
    "load_model",
    "predict",
    "render",
    "render_html",
    "render_markdown",
    "sniff_format",
    "to_model_card_toolkit",
    "train",
]
