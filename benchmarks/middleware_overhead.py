"""Per-request cost of HTTP metrics middleware on the same FastAPI route, in one run.

Compares no middleware, Maestro's PrometheusMiddleware, prometheus-fastapi-instrumentator and
starlette-exporter. Requests are driven straight through ASGI (no sockets), so the difference to
the bare app is the middleware's own cost. Rounds interleave the four apps so that machine noise
hits them alike; the median round is reported.

    pip install -e ".[bench]"   # in a separate virtualenv
    python benchmarks/middleware_overhead.py [--requests 20000] [--rounds 7]
"""

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

from fastapi import FastAPI

from maestro.observability.middleware import PrometheusMiddleware, RouteResolver

from _results import machine_line, write_section  # benchmarks/ is on sys.path when run

ROUTE = "/items/{item_id}"


def build_app(instrument: Callable[[FastAPI], None] | None) -> FastAPI:
    app = FastAPI()

    @app.get(ROUTE)
    async def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    if instrument:
        instrument(app)
    return app


def with_maestro(app: FastAPI) -> None:
    app.add_middleware(PrometheusMiddleware, resolver=RouteResolver([ROUTE]))


def with_instrumentator(app: FastAPI) -> None:
    from prometheus_fastapi_instrumentator import Instrumentator

    Instrumentator().instrument(app)


def with_starlette_exporter(app: FastAPI) -> None:
    from starlette_exporter import PrometheusMiddleware as ExporterMiddleware

    app.add_middleware(ExporterMiddleware, group_paths=True)


VARIANTS: dict[str, Callable[[FastAPI], None] | None] = {
    "no middleware": None,
    "maestro": with_maestro,
    "prometheus-fastapi-instrumentator": with_instrumentator,
    "starlette-exporter": with_starlette_exporter,
}


async def drive(app: FastAPI, requests: int) -> float:
    """Seconds per request over `requests` sequential ASGI calls."""

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict) -> None:
        return None

    start = time.perf_counter()
    for i in range(requests):
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": f"/items/{i % 100}",
            "raw_path": f"/items/{i % 100}".encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"bench")],
            "client": ("127.0.0.1", 1234),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        await app(scope, receive, send)
    return (time.perf_counter() - start) / requests


async def measure(requests: int, rounds: int) -> dict[str, float]:
    apps = {name: build_app(instrument) for name, instrument in VARIANTS.items()}
    for app in apps.values():  # warm-up: route compilation, label children, caches
        await drive(app, 2_000)
    samples: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(rounds):
        for name, app in apps.items():
            samples[name].append(await drive(app, requests))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    medians = asyncio.run(measure(args.requests, args.rounds))
    bare = medians["no middleware"]
    ours = medians["maestro"] - bare
    rows = []
    for name, seconds in medians.items():
        overhead = seconds - bare
        ratio = "-" if name in ("no middleware", "maestro") else f"{overhead / ours:.1f}x"
        rows.append(f"| {name} | {seconds * 1e6:.1f} | {overhead * 1e6:+.1f} | {ratio} |")
    table = "\n".join(rows)
    markdown = f"""## HTTP metrics middleware overhead

`benchmarks/middleware_overhead.py`: the same `async` FastAPI route, {args.requests:,} requests
per round through ASGI directly, {args.rounds} interleaved rounds, median round.
{machine_line()}

| variant | µs per request | overhead vs no middleware (µs) | peer overhead / Maestro overhead |
|---|---|---|---|
{table}

Goal: Maestro adds at most 25 µs per request and less than both peers. Result: Maestro adds
{ours * 1e6:.1f} µs.
"""
    print(markdown)
    write_section("middleware_overhead", markdown)


if __name__ == "__main__":
    main()
