"""Process identity that survives pid reuse: a pid plus the kernel's start time for it.

Used to tie a job worker's life to its server (`maestro.jobs.lifeline`) and to tell a dead
server's leftovers (its multiprocess metrics directory) from a live one's.
"""

import os


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` (field 22 of /proc/<pid>/stat), or None if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return fields[19].decode()  # the fields after "(comm)" start at field 3


def process_alive(pid: int, start_time: str | None) -> bool:
    """True while `pid` runs and is still the process that had `start_time`."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user: decided by the start time below
    current = process_start_time(pid)
    return start_time is None or current is None or current == start_time
