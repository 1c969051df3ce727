"""A job worker process dies with the server that started it.

`maestro serve` runs local jobs in pool processes forked from multiprocessing's fork server. When
the server is killed (`kill -9`, OOM killer), the fork server sees its pipe close and exits, but
processes it forked would live on as orphans, their lease keepers renewing leases forever. Two
independent mechanisms prevent that:

- `PR_SET_PDEATHSIG` (Linux): the kernel sends SIGKILL when the process's parent (the fork
  server, or the server itself with `spawn`) exits. Immediate, and nothing to poll.
- A watcher thread that checks the server's pid (and its start time, so a recycled pid is not
  mistaken for it) every second: the portable fallback, and a guard against the window between
  the fork and the `prctl` call.
"""

import ctypes
import logging
import os
import signal
import sys
import threading
import time

from maestro.processes import process_alive

logger = logging.getLogger("maestro.jobs")

PR_SET_PDEATHSIG = 1
WATCH_INTERVAL = 1.0


def die_with_server(server_pid: int, server_start_time: str | None) -> None:
    """Pool initializer: tie this process's life to the server's."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
                logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
        except (OSError, AttributeError):
            logger.warning("prctl is unavailable; relying on the server watcher", exc_info=True)
    if not process_alive(server_pid, server_start_time):
        os._exit(1)  # the server died before we got here
    threading.Thread(
        target=_watch, args=(server_pid, server_start_time), name="server-watch", daemon=True
    ).start()


def _watch(server_pid: int, server_start_time: str | None) -> None:
    while True:
        time.sleep(WATCH_INTERVAL)
        if not process_alive(server_pid, server_start_time):
            os._exit(1)  # SIGKILL-like: no lease keeper, no cleanup that could touch the job
