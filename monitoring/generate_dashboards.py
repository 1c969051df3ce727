"""Write the Grafana dashboard JSON files from the Python definitions in `dashgen/`.

python monitoring/generate_dashboards.py          # rewrite the JSON files
python monitoring/generate_dashboards.py --check  # exit 1 if the committed JSON is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dashgen import DASHBOARD_MODULES, generated_files  # noqa: E402
from dashgen.common import to_json  # noqa: E402

DASHBOARDS_DIR = HERE / "grafana" / "dashboards"


def render() -> dict[str, str]:
    """File name -> JSON text, deterministic so a diff means a real change."""
    return {
        module.FILENAME: json.dumps(to_json(module.build()), indent=2, sort_keys=True) + "\n"
        for module in DASHBOARD_MODULES
    }


def stale_files(directory: Path = DASHBOARDS_DIR) -> list[str]:
    """Names of dashboard files that are missing or differ from the generator's output."""
    return generated_files.stale_files(render, directory)


def main(argv: list[str] | None = None) -> int:
    description = __doc__.splitlines()[0]
    return generated_files.main(
        render, DASHBOARDS_DIR, "monitoring/generate_dashboards.py", description, argv
    )


if __name__ == "__main__":
    sys.exit(main())
