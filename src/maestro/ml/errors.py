"""Exceptions of the ML layer: each carries a message fit to show a user as-is."""


class MLError(Exception):
    """Base of every error the ML layer raises on purpose."""


class UntrustedArtifactError(MLError):
    """A model artifact holds types outside the allowlist, or is not a skops file at all."""


class TrainingError(MLError):
    """A training request cannot be fulfilled; the message says why in plain words."""


class UnknownAlgorithmError(TrainingError):
    """The algorithm is not in the catalog, or does not support the task."""


class InvalidHyperparameterError(TrainingError):
    """A hyperparameter name or value is rejected by the estimator's own validation."""


class MissingTargetError(TrainingError):
    """The target column is not in the dataset."""


class UnknownFeatureError(TrainingError):
    """A requested feature column is not in the dataset."""


class TargetAllNullError(TrainingError):
    """The target column has no value at all."""


class SingleClassTargetError(TrainingError):
    """A classification target has fewer than two classes."""


class TooFewRowsError(TrainingError):
    """There are not enough labelled rows to split into training and evaluation sets."""


class NoUsableFeaturesError(TrainingError):
    """After dropping unusable columns no feature is left to learn from."""


class TrainingCancelled(TrainingError):
    """Raised by a cancellation check to stop a training run between stages."""


class DiscoveryError(MLError):
    """Feature discovery cannot run on the given input (e.g. the target column is missing)."""
