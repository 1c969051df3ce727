"""Everything a request handler needs, built once per app and kept on `app.state.ctx`."""

from dataclasses import dataclass, field

from maestro.db.session import Database
from maestro.ratelimit import RateLimiter, RateLimitPolicy
from maestro.services.cards import CardService
from maestro.services.datasets import DatasetService
from maestro.services.discovery import DiscoveryService
from maestro.services.experiments import ExperimentService
from maestro.services.identity import IdentityService
from maestro.services.job_metrics import MetricsRelay
from maestro.services.jobs import JobService
from maestro.services.quotas import QuotaPolicy
from maestro.services.registry import RegistryService
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
    experiments: ExperimentService
    datasets: DatasetService
    # The ML job areas, built on the services above.
    training: TrainingService = field(init=False)
    discovery: DiscoveryService = field(init=False)
    cards: CardService = field(init=False)
    job_metrics: MetricsRelay = field(init=False)

    def __post_init__(self) -> None:
        self.training = TrainingService(self.jobs, self.datasets)
        self.discovery = DiscoveryService(self.jobs, self.datasets)
        self.cards = CardService(self.registry, self.datasets, self.training, self.discovery)
        self.job_metrics = MetricsRelay(
            self.db, {TRAINING_KIND: TrainingObserver(self.db, self.experiments)}
        )

    @classmethod
    def build(cls, settings: Settings, db: Database, rate_limiter: RateLimiter) -> "AppContext":
        quotas = QuotaPolicy(settings.quotas)
        artifacts = artifact_store_from_uri(
            settings.resolved_artifact_uri, s3_endpoint_url=settings.s3_endpoint_url
        )
        return cls(
            settings=settings,
            db=db,
            rate_limiter=rate_limiter,
            artifacts=artifacts,
            quotas=quotas,
            tenants=TenantService(quotas),
            identity=IdentityService(quotas),
            jobs=JobService(quotas, settings),
            registry=RegistryService(
                quotas,
                artifacts,
                max_upload_bytes=settings.max_upload_bytes,
                cache_size=settings.model_cache_size,
            ),
            experiments=ExperimentService(quotas),
            datasets=DatasetService(
                quotas,
                artifacts,
                max_bytes=settings.max_upload_bytes,
                max_columns=settings.max_dataset_columns,
                preview_rows=settings.dataset_preview_rows,
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
