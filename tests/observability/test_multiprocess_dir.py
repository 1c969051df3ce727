"""`serve --workers N`: a killed server's metric files are never read by the next start."""

import subprocess
import sys
from pathlib import Path

from maestro.observability import multiprocess_dir


def _short_lived() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_a_killed_servers_metrics_directory_is_removed_by_the_next_start(tmp_path: Path):
    killed = _short_lived()
    stale = multiprocess_dir.prepare({}, killed.pid, base=tmp_path)
    assert stale is not None
    (stale / "counter_123.db").write_bytes(b"old counts")
    killed.kill()  # SIGKILL: no chance to remove its directory
    killed.wait()

    environ: dict[str, str] = {}
    fresh = multiprocess_dir.prepare(environ, 4_000_000, base=tmp_path)

    assert not stale.exists()
    assert fresh is not None and environ["PROMETHEUS_MULTIPROC_DIR"] == str(fresh)
    assert [p.name for p in fresh.iterdir()] == ["owner"]


def test_a_running_servers_metrics_directory_is_left_alone(tmp_path: Path):
    running = _short_lived()
    try:
        theirs = multiprocess_dir.prepare({}, running.pid, base=tmp_path)
        assert theirs is not None

        multiprocess_dir.prepare({}, 4_000_001, base=tmp_path)

        assert theirs.exists()
    finally:
        running.kill()
        running.wait()


def test_a_configured_directory_is_emptied_of_metric_files_and_kept(tmp_path: Path):
    configured = tmp_path / "prom"
    configured.mkdir()
    (configured / "counter_1.db").write_bytes(b"old")
    (configured / "README").write_text("not ours")

    owned = multiprocess_dir.prepare({"PROMETHEUS_MULTIPROC_DIR": str(configured)}, 1, tmp_path)

    assert owned is None  # the operator's directory: never removed
    assert sorted(p.name for p in configured.iterdir()) == ["README"]
