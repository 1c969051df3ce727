"""Running the API: one uvicorn process, or gunicorn with N uvicorn workers (multiprocess metrics).

Import this module only after `PROMETHEUS_MULTIPROC_DIR` is settled: prometheus_client chooses
between in-memory and file-backed values when it is first imported.
"""

from typing import Any

import uvicorn
from gunicorn.app.base import BaseApplication
from prometheus_client import multiprocess

APP_FACTORY = "maestro.api.app:create_app_from_env"


#: Idle keep-alive connections are held longer than client pools keep them (60 s is common):
#: a server closing first races the client's next request on that connection, which then fails.
DEFAULT_KEEP_ALIVE = 75.0


def run_single(
    host: str, port: int, log_level: str, *, keep_alive: float = DEFAULT_KEEP_ALIVE
) -> None:
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        log_config=None,
        log_level=log_level.lower(),
        proxy_headers=False,  # the app trusts MAESTRO_FORWARDED_ALLOW_IPS only (api/app.py)
        timeout_keep_alive=int(keep_alive),
    )


def _child_exit(_server: Any, worker: Any) -> None:
    """Keep a dead worker's counters but drop its live gauges (in-progress requests)."""
    multiprocess.mark_process_dead(worker.pid)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from maestro.api.app import create_app_from_env

        return create_app_from_env()


def run_workers(
    host: str, port: int, workers: int, log_level: str, *, keep_alive: float = DEFAULT_KEEP_ALIVE
) -> None:
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "uvicorn_worker.UvicornWorker",
            "child_exit": _child_exit,
            "loglevel": log_level.lower(),
            "graceful_timeout": 10,
            "forwarded_allow_ips": "",  # the app trusts MAESTRO_FORWARDED_ALLOW_IPS only
            "keepalive": int(keep_alive),  # the uvicorn worker's timeout_keep_alive
        }
    ).run()
