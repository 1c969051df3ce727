"""Dataset tests run on both artifact stores, with small limits so limit cases stay fast."""

from collections.abc import Callable

import pytest

from maestro.settings import Settings
from maestro.storage import ArtifactStore
from tests.storage.conftest import _stored_names
from tests.support.live_server import LiveServer

UPLOAD_LIMIT = 256 * 1024


@pytest.fixture(params=["local", "s3"])
def artifact_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_upload_bytes": UPLOAD_LIMIT})


@pytest.fixture
def store(server: LiveServer) -> ArtifactStore:
    return server.app.state.ctx.artifacts


@pytest.fixture
def stored_names() -> Callable[[ArtifactStore], list[str]]:
    """Everything physically in the store: files, objects and unfinished multipart uploads."""
    return _stored_names
