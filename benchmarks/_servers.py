"""Start the servers the benchmarks compare, each on a free loopback port, and stop them."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ADMIN_KEY = "mst_benchmark-admin-key-0123456789abcdefghijkl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).is_success:  # MLServer answers 400 until its model loads
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


@contextmanager
def _process(command: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait(ready_url, process)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def maestro_server(
    workdir: Path, *, workers: int = 1, settings: dict[str, str] | None = None
) -> Iterator[str]:
    """`settings`: extra MAESTRO_* environment variables for this server."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAESTRO_")}
    env |= {
        "MAESTRO_DATA_DIR": str(workdir / "maestro"),
        "MAESTRO_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "MAESTRO_LOG_LEVEL": "WARNING",
        **(settings or {}),
    }
    command = [sys.executable, "-m", "maestro.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    url = f"http://127.0.0.1:{port}"
    with _process(command, env, f"{url}/healthz", workdir / "maestro.log"):
        yield url


@contextmanager
def mlflow_server(workdir: Path, *, workers: int = 1) -> Iterator[str]:
    """An MLflow tracking server with a SQLite backend and its artifact proxy, like Maestro's."""
    port = free_port()
    mlflow = Path(sys.executable).with_name("mlflow")
    command = [
        str(mlflow),
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend-store-uri",
        f"sqlite:///{workdir / 'mlflow.db'}",
        "--artifacts-destination",
        str(workdir / "mlartifacts"),
        "--workers",
        str(workers),
    ]
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ) | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with _process(command, env, f"{url}/health", workdir / "mlflow.log"):
        yield url
