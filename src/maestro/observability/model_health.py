"""Model-health gauges read from the database at scrape time, identical on every replica.

One series per currently deployed model (bounded by the `deployments` quota), labelled with the
tenant slug and the model name, and only once it has a value: drift gauges after the first
completed drift run, live figures once feedback arrived in the window, training figures when
the deployed version recorded them. Cached like the other state gauges.
"""

from datetime import timedelta

from sqlalchemy import func, select

from maestro.db.base import utcnow
from maestro.db.models import DriftRun, ModelDeployment, ModelVersion, RegisteredModel, Tenant
from maestro.db.session import Database
from maestro.observability import metrics
from maestro.observability.collector import CachedDatabaseCollector
from maestro.observability.gauge_text import GaugeRows
from maestro.services.model_health import live_figures, training_figures

_LABELS = ("tenant_id", "model_name")


class ModelHealthCollector(CachedDatabaseCollector):
    def __init__(self, db: Database, *, window_seconds: float, cache_seconds: float) -> None:
        super().__init__(db, cache_seconds=cache_seconds)
        self._window = timedelta(seconds=window_seconds)

    def _read(self) -> list[GaugeRows]:
        families = {
            name: GaugeRows(name, text, _LABELS)
            for name, text in (
                (metrics.MODEL_DRIFT_SCORE, "Share of features drifted in the latest drift run."),
                (metrics.MODEL_DRIFTED_FEATURES, "Features drifted in the latest drift run."),
                (metrics.MODEL_LIVE_ACCURACY, "Accuracy over the latest feedback window."),
                (metrics.MODEL_TRAINING_ACCURACY, "Accuracy measured at training time."),
                (metrics.MODEL_LIVE_ERROR, "Mean absolute error over the latest feedback window."),
                (metrics.MODEL_TRAINING_ERROR, "Mean absolute error measured at training time."),
            )
        }
        with self._db.read_session() as session:
            deployed = session.execute(
                select(
                    RegisteredModel.id, Tenant.slug, RegisteredModel.name, ModelVersion.metadata_
                )
                .join(ModelDeployment, ModelDeployment.model_id == RegisteredModel.id)
                .join(ModelVersion, ModelVersion.id == ModelDeployment.version_id)
                .join(Tenant, Tenant.id == RegisteredModel.tenant_id)
            ).all()
            ids = [row[0] for row in deployed]
            latest = (
                select(DriftRun.model_id, func.max(DriftRun.created_at).label("at"))
                .where(DriftRun.model_id.in_(ids), DriftRun.status == "completed")
                .group_by(DriftRun.model_id)
                .subquery()
            )
            drift = {
                model_id: (share, drifted)
                for model_id, share, drifted in session.execute(
                    select(DriftRun.model_id, DriftRun.drift_share, DriftRun.drifted_features).join(
                        latest,
                        (latest.c.model_id == DriftRun.model_id)
                        & (latest.c.at == DriftRun.created_at),
                    )
                )
            }
            live = live_figures(session, ids, utcnow() - self._window)
        for model_id, slug, name, metadata in deployed:
            labels = (slug, name)
            if model_id in drift:
                share, drifted = drift[model_id]
                families[metrics.MODEL_DRIFT_SCORE].add(labels, share)
                families[metrics.MODEL_DRIFTED_FEATURES].add(labels, drifted)
            figures = live.get(model_id, {})
            if figures.get("accuracy") is not None:
                families[metrics.MODEL_LIVE_ACCURACY].add(labels, figures["accuracy"])
            if figures.get("mae") is not None:
                families[metrics.MODEL_LIVE_ERROR].add(labels, figures["mae"])
            training = training_figures(metadata or {})
            if "accuracy" in training:
                families[metrics.MODEL_TRAINING_ACCURACY].add(labels, training["accuracy"])
            if "mae" in training:
                families[metrics.MODEL_TRAINING_ERROR].add(labels, training["mae"])
        return list(families.values())
