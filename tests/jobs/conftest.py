"""Job-system fixtures: a migrated database, a JobService, tenants, and a polling helper.

Leases and heartbeats are short (2 s, 0.25 s) so crash recovery is observable in seconds.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any, TypeVar

import pytest

from maestro.db.migrate import upgrade_to_head
from maestro.db.models import Job, QuotaUsage
from maestro.db.session import Database
from maestro.jobs import load_job_kinds
from maestro.services.identity import IdentityService
from maestro.services.jobs import JobService
from maestro.services.principal import Principal, Role
from maestro.services.quotas import QuotaPolicy
from maestro.services.tenants import TenantService
from maestro.settings import Settings
from tests.conftest import make_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
JOB_MODULES = ["tests.jobs.kinds"]
LEASE_SECONDS = 2.0
HEARTBEAT_SECONDS = 0.25
ADMIN = Principal(
    user_id="admin", username="admin", role=Role.ADMIN, tenant_id=None, tenant_slug=None
)
T = TypeVar("T")

load_job_kinds(JOB_MODULES)  # the test process submits these kinds


def job_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "job_lease_seconds": LEASE_SECONDS,
        "job_heartbeat_seconds": HEARTBEAT_SECONDS,
        "job_poll_seconds": 0.1,
        "job_pool_size": 1,
        "job_modules": JOB_MODULES,
        **overrides,
    }
    return make_settings(tmp_path, database_url, **values)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a `maestro` subprocess the same configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAESTRO_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        MAESTRO_DATA_DIR=str(settings.data_dir),
        MAESTRO_DATABASE_URL=settings.resolved_database_url,
        MAESTRO_EXECUTOR=settings.executor,
        MAESTRO_CELERY_QUEUE=settings.celery_queue,
        MAESTRO_JOB_LEASE_SECONDS=str(settings.job_lease_seconds),
        MAESTRO_JOB_HEARTBEAT_SECONDS=str(settings.job_heartbeat_seconds),
        MAESTRO_JOB_POLL_SECONDS=str(settings.job_poll_seconds),
        MAESTRO_JOB_POOL_SIZE=str(settings.job_pool_size),
        MAESTRO_JOB_MAX_ATTEMPTS=str(settings.job_max_attempts),
        MAESTRO_JOB_MODULES='["' + '", "'.join(settings.job_modules) + '"]',
        MAESTRO_JOB_MAX_RUN_SECONDS=json.dumps(settings.job_max_run_seconds),
        MAESTRO_LOG_LEVEL="INFO",
    )
    if settings.broker_url:
        env["MAESTRO_BROKER_URL"] = settings.broker_url
    return env


@dataclass
class MaestroProcess:
    """A real `maestro ...` process in its own process group (so SIGKILL takes its children)."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def kill(self) -> None:
        """Simulate a crash: the process and everything it started die at once."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def start_maestro(tmp_path: Path) -> Iterator[Callable[..., MaestroProcess]]:
    started: list[MaestroProcess] = []
    numbers = count(1)

    def start(settings: Settings, *args: str, env: dict[str, str] | None = None) -> MaestroProcess:
        log_path = tmp_path / f"maestro-{args[0]}-{next(numbers)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "maestro.cli", *args],
                env={**settings_env(settings), **(env or {})},
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(MaestroProcess(process, log_path))
        return started[-1]

    yield start
    for running in started:
        running.kill()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return job_settings(tmp_path, database_url)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.resolved_database_url)
    upgrade_to_head(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def jobs(settings: Settings, db: Database) -> Iterator[JobService]:
    """The service as the API holds it; tests call `jobs.start(db)` to run the executor."""
    service = JobService(QuotaPolicy(settings.quotas), settings)
    yield service
    service.stop()


_slugs = count(1)


@pytest.fixture
def make_principal(settings: Settings, db: Database) -> Callable[..., Principal]:
    """A tenant with an owner, returned as that owner's Principal."""
    quotas = QuotaPolicy(settings.quotas)

    def factory(*, concurrent_jobs: int | None = 10) -> Principal:
        slug = f"jobs-tenant-{next(_slugs)}"
        with db.session() as session:
            tenant = TenantService(quotas).create(
                session,
                ADMIN,
                slug=slug,
                name=slug,
                quotas={"concurrent_training_jobs": concurrent_jobs},
                rate_limit=None,
            )
            user = IdentityService(quotas).create_user(session, ADMIN, slug, "owner", Role.OWNER)
            return Principal(user.id, user.username, Role.OWNER, tenant.id, slug)

    return factory


@pytest.fixture
def principal(make_principal: Callable[..., Principal]) -> Principal:
    return make_principal()


def wait_until(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `check` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Jobs:
    """Test-side shortcuts over the real service, each in its own transaction."""

    def __init__(self, service: JobService, db: Database, principal: Principal) -> None:
        self.service, self.db, self.principal = service, db, principal

    def submit(self, kind: str, **payload: Any) -> str:
        with self.db.session() as session:
            return self.service.submit(session, self.principal, kind, payload).id

    def get(self, job_id: str) -> Job:
        with self.db.session() as session:
            return self.service.get(session, self.principal, job_id)

    def cancel(self, job_id: str) -> Job:
        with self.db.session() as session:
            return self.service.cancel(session, self.principal, job_id)

    def wait_for(self, job_id: str, *statuses: str, timeout: float = 15.0) -> Job:
        def reached() -> Job | None:
            job = self.get(job_id)
            return job if job.status in statuses else None

        return wait_until(reached, timeout, f"job {job_id} to be {' or '.join(statuses)}")

    def slots_used(self) -> int:
        with self.db.session() as session:
            return session.get_one(
                QuotaUsage, (self.principal.tenant_id, "concurrent_training_jobs")
            ).used


@pytest.fixture
def tenant_jobs(jobs: JobService, db: Database, principal: Principal) -> Jobs:
    return Jobs(jobs, db, principal)


def started_pid(path: Path, timeout: float = 15.0) -> int:
    """The pid a kind wrote when its handler began (it really runs, in that process)."""
    text = wait_until(lambda: path.exists() and path.read_text(), timeout, f"{path} to appear")
    return int(text.split()[0])
