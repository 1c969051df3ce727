"""Everything a request handler needs, built once per app and kept on `app.state.ctx`."""

from dataclasses import dataclass, field
from datetime import timedelta

from maestro.db.session import Database
from maestro.ratelimit import RateLimiter, RateLimitPolicy
from maestro.services.cards import CardService
from maestro.services.console_sessions import ConsoleSessionService
from maestro.services.dataset_files import DecodeLimits
from maestro.services.datasets import DatasetService
from maestro.services.discovery import DiscoveryService
from maestro.services.experiments import ExperimentService
from maestro.services.identity import IdentityService
from maestro.services.job_metrics import MetricsRelay
from maestro.services.jobs import JobService
from maestro.services.model_health import DriftScheduler, ModelHealthService
from maestro.services.orphans import OrphanSweeper, PeriodicSweep
from maestro.services.prediction_log import PredictionLog
from maestro.services.quotas import QuotaPolicy
from maestro.services.registry import RegistryService
from maestro.services.serving import ServingService, artifact_limits, serving_pool
from maestro.services.tenants import TenantService
from maestro.services.training import TRAINING_KIND, TrainingObserver, TrainingService
from maestro.settings import Settings
from maestro.storage import ArtifactStore, artifact_store_from_uri


@dataclass
class AppContext:
    settings: Settings
    db: Database
    rate_limiter: RateLimiter
    artifacts: ArtifactStore
    quotas: QuotaPolicy
    tenants: TenantService
    identity: IdentityService
    jobs: JobService
    registry: RegistryService
    serving: ServingService
    experiments: ExperimentService
    datasets: DatasetService
    # The ML job areas, built on the services above.
    training: TrainingService = field(init=False)
    discovery: DiscoveryService = field(init=False)
    cards: CardService = field(init=False)
    job_metrics: MetricsRelay = field(init=False)
    # Crash recovery: leftovers of killed writes are swept at start-up and periodically.
    orphan_sweep: PeriodicSweep = field(init=False)
    # Model health: the prediction log (hooked into serving.predict), drift, feedback.
    prediction_log: PredictionLog = field(init=False)
    health: ModelHealthService = field(init=False)
    drift_scheduler: DriftScheduler = field(init=False)
    console_sessions: ConsoleSessionService = field(init=False)

    def __post_init__(self) -> None:
        self.training = TrainingService(self.jobs, self.datasets)
        self.discovery = DiscoveryService(self.jobs, self.datasets)
        self.cards = CardService(self.registry, self.datasets, self.training, self.discovery)
        self.job_metrics = MetricsRelay(
            self.db, {TRAINING_KIND: TrainingObserver(self.db, self.experiments)}
        )
        self.orphan_sweep = PeriodicSweep(
            OrphanSweeper(self.artifacts, grace_seconds=self.settings.orphan_grace_seconds),
            self.db,
            self.settings.orphan_sweep_interval_seconds,
        )
        self.prediction_log = PredictionLog(self.db, self.quotas, self.settings)
        self.serving.prediction_hook = self.prediction_log
        self.health = ModelHealthService(
            self.registry, self.datasets, self.prediction_log, self.settings
        )
        self.drift_scheduler = DriftScheduler(self.health, self.db, self.jobs)
        self.console_sessions = ConsoleSessionService(
            self.identity, timedelta(hours=self.settings.console_session_hours)
        )

    @classmethod
    def build(cls, settings: Settings, db: Database, rate_limiter: RateLimiter) -> "AppContext":
        quotas = QuotaPolicy(settings.quotas)
        artifacts = artifact_store_from_uri(
            settings.resolved_artifact_uri, s3_endpoint_url=settings.s3_endpoint_url
        )
        registry = RegistryService(
            quotas,
            artifacts,
            max_upload_bytes=settings.max_upload_bytes,
            artifact_limits=artifact_limits(settings),
        )
        return cls(
            settings=settings,
            db=db,
            rate_limiter=rate_limiter,
            artifacts=artifacts,
            quotas=quotas,
            tenants=TenantService(quotas, artifacts),
            identity=IdentityService(quotas, max_keys_per_user=settings.max_api_keys_per_user),
            jobs=JobService(quotas, settings),
            registry=registry,
            serving=ServingService(registry, serving_pool(settings)),
            experiments=ExperimentService(quotas),
            datasets=DatasetService(
                quotas,
                artifacts,
                max_bytes=settings.max_upload_bytes,
                max_columns=settings.max_dataset_columns,
                preview_rows=settings.dataset_preview_rows,
                limits=DecodeLimits(
                    max_rows=settings.max_dataset_rows,
                    max_decoded_bytes=settings.max_dataset_decoded_bytes,
                ),
            ),
        )

    def tenant_policy(self, rpm: int | None, burst: int | None) -> RateLimitPolicy:
        return RateLimitPolicy(
            requests_per_minute=rpm or self.settings.rate_limit_requests_per_minute,
            burst=burst or self.settings.rate_limit_burst,
        )

    @property
    def anonymous_policy(self) -> RateLimitPolicy:
        return RateLimitPolicy(
            requests_per_minute=self.settings.anonymous_rate_limit_requests_per_minute,
            burst=self.settings.anonymous_rate_limit_burst,
        )
