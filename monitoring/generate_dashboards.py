"""Write the Grafana dashboard JSON files from the Python definitions in `dashgen/`.

python monitoring/generate_dashboards.py          # rewrite the JSON files
python monitoring/generate_dashboards.py --check  # exit 1 if the committed JSON is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana_foundation_sdk.cog.encoder import JSONEncoder

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dashgen import DASHBOARD_MODULES  # noqa: E402

DASHBOARDS_DIR = HERE / "grafana" / "dashboards"


def render() -> dict[str, str]:
    """File name -> JSON text, deterministic so a diff means a real change."""
    return {
        module.FILENAME: json.dumps(
            module.build().build(), cls=JSONEncoder, indent=2, sort_keys=True
        )
        + "\n"
        for module in DASHBOARD_MODULES
    }


def stale_files(directory: Path = DASHBOARDS_DIR) -> list[str]:
    """Names of dashboard files that are missing or differ from the generator's output."""
    return [
        name
        for name, text in render().items()
        if not (directory / name).is_file() or (directory / name).read_text() != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    parser.add_argument("--output", type=Path, default=DASHBOARDS_DIR, help="dashboards directory")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.output)
        for name in stale:
            print(f"stale: {args.output / name} (run python monitoring/generate_dashboards.py)")
        return 1 if stale else 0
    args.output.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (args.output / name).write_text(text)
        print(f"wrote {args.output / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
