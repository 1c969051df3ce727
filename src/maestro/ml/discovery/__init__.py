"""Automated feature discovery: profile, relevance, leakage and generated features."""

from maestro.ml.discovery.report import (
    Alert,
    CandidateFeature,
    ColumnProfile,
    DiscoveryReport,
    FeatureRelevance,
    LeakageSuspect,
    Suggestion,
)
from maestro.ml.discovery.runner import STAGES, discover

__all__ = [
    "STAGES",
    "Alert",
    "CandidateFeature",
    "ColumnProfile",
    "DiscoveryReport",
    "FeatureRelevance",
    "LeakageSuspect",
    "Suggestion",
    "discover",
]
