"""Drives the demo: worker threads pick a tenant and an action, outcomes shown live."""

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from rich.console import Console
from rich.live import Live
from rich.table import Table

from maestro.client import MaestroAPIError, MaestroClient, RateLimitedError, ServerError
from maestro.demo.actions import ACTIONS, Action
from maestro.demo.provisioning import DemoTenant, provision

OUTCOMES = ("ok", "4xx", "429", "failed")


@dataclass
class Tally:
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, action: str, outcome: str, detail: str | None = None) -> None:
        with self.lock:
            self.counts[(action, outcome)] += 1
            if detail and len(self.failures) < 20:
                self.failures.append(f"{action}: {detail}")

    @property
    def failed(self) -> int:
        return sum(n for (_, outcome), n in self.counts.items() if outcome == "failed")

    def table(self, elapsed: float, duration: float) -> Table:
        table = Table(title=f"maestro demo: {elapsed:,.0f}s of {duration:,.0f}s")
        table.add_column("action")
        for outcome in OUTCOMES:
            table.add_column(outcome, justify="right")
        for action in ACTIONS:
            table.add_row(action, *(str(self.counts[(action, o)]) for o in OUTCOMES))
        return table


def run_action(
    name: str, action: Action, tenant: DemoTenant, rng: random.Random, tally: Tally
) -> None:
    try:
        try:
            action(tenant, rng)
        except httpx.TransportError:
            # A keep-alive connection the server closed while this user was idle (an action can
            # wait a minute for a training job) resets on reuse: retry once, as a client would.
            action(tenant, rng)
    except RateLimitedError:
        tally.record(name, "429")
    except ServerError as exc:
        tally.record(name, "failed", f"{exc.status_code} {exc.code}: {exc.message}")
    except MaestroAPIError:
        tally.record(name, "4xx")
    except (httpx.TransportError, AssertionError) as exc:
        tally.record(name, "failed", str(exc))
    except Exception as exc:  # a demo bug must fail the demo, not silently end a worker
        tally.record(name, "failed", f"{type(exc).__name__}: {exc}")
    else:
        tally.record(name, "ok")


def run_demo(
    url: str,
    admin_key: str,
    duration: float,
    *,
    workers: int = 4,
    seed: int | None = None,
    console: Console | None = None,
    extra_actions: dict[str, tuple[Action, int]] | None = None,
) -> Tally:
    actions = {**ACTIONS, **(extra_actions or {})}
    with MaestroClient(url, api_key=admin_key) as admin:
        tenants = provision(admin, url)
    tally = Tally()
    deadline = time.monotonic() + duration
    names = list(actions)
    action_weights = [actions[name][1] for name in names]
    tenant_weights = [t.plan.weight for t in tenants]

    # Every tenant does every kind of thing once, shared out between the workers and finished
    # even past the deadline (on a loaded machine too, every metric gets recorded); then traffic
    # is weighted until the deadline.
    first_pass = [(tenant, name) for tenant in tenants for name in names]

    def worker(index: int) -> None:
        rng = random.Random(None if seed is None else seed + index)
        for tenant, name in first_pass[index::workers]:
            run_action(name, actions[name][0], tenant, rng, tally)
        while time.monotonic() < deadline:
            tenant = rng.choices(tenants, tenant_weights)[0]
            name = rng.choices(names, action_weights)[0]
            run_action(name, actions[name][0], tenant, rng, tally)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(workers)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    console = console or Console()
    with Live(tally.table(0, duration), console=console, refresh_per_second=2) as live:
        while any(thread.is_alive() for thread in threads):
            _join_briefly(threads, 0.5)
            live.update(tally.table(time.monotonic() - start, duration))
    for tenant in tenants:
        tenant.close()
    return tally


def _join_briefly(threads: list[threading.Thread], seconds: float) -> None:
    for thread in threads:
        thread.join(timeout=seconds / max(1, len(threads)))
