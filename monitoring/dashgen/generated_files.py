"""Generated files kept in git: write them, or check (in CI) that the committed ones are current.

Every generator under `monitoring/` renders `{file name: text}` deterministically, so a diff in git
is a real change and `--check` can say which committed file is stale.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Render = Callable[[], dict[str, str]]


class _BlockStyleDumper(yaml.SafeDumper):
    """Multi-line PromQL stays readable as a `|` block."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockStyleDumper.add_representer(str, _str)


def yaml_text(data: Any) -> str:
    """YAML in the generated files' style: keys in the given order, PromQL blocks, no wrapping."""
    return yaml.dump(data, Dumper=_BlockStyleDumper, sort_keys=False, width=1000)


def stale_files(render: Render, directory: Path) -> list[str]:
    """Names of the files that are missing from `directory` or differ from `render()`."""
    return [
        name
        for name, text in render().items()
        if not (directory / name).is_file() or (directory / name).read_text() != text
    ]


def main(
    render: Render, directory: Path, script: str, description: str, argv: list[str] | None
) -> int:
    """`script [--check] [--output DIR]`: write the files, or exit 1 naming the stale ones."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    parser.add_argument("--output", type=Path, default=directory, help="output directory")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(render, args.output)
        for name in stale:
            print(f"stale: {args.output / name} (run python {script})")
        return 1 if stale else 0
    args.output.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (args.output / name).write_text(text)
        print(f"wrote {args.output / name}")
    return 0
