"""Refresh the console's vendored browser assets from the npm registry, at pinned versions.

The console works with no internet: every script and style it serves is committed under
`src/maestro/web/static/vendor/` (axe-core, used only by the browser tests, goes under
`tests/browser/vendor/`). Each package keeps its license file beside its assets. To upgrade, change
a version in PACKAGES, run `python scripts/vendor_assets.py`, and commit the result.

Needs `npm` on PATH (it only runs `npm pack`, which downloads a tarball; nothing is installed).
"""

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "src" / "maestro" / "web" / "static" / "vendor"
TEST_VENDOR = ROOT / "tests" / "browser" / "vendor"

# package -> (version, destination, {file inside the tarball: name to write})
PACKAGES: dict[str, tuple[str, Path, dict[str, str]]] = {
    "htmx.org": ("2.0.11", STATIC / "htmx", {"dist/htmx.min.js": "htmx.min.js"}),
    "uplot": (
        "1.6.32",
        STATIC / "uplot",
        {"dist/uPlot.iife.min.js": "uPlot.iife.min.js", "dist/uPlot.min.css": "uPlot.min.css"},
    ),
    "swagger-ui-dist": (
        "5.35.0",
        STATIC / "swagger-ui",
        {"swagger-ui-bundle.js": "swagger-ui-bundle.js", "swagger-ui.css": "swagger-ui.css"},
    ),
    "redoc": ("2.5.4", STATIC / "redoc", {"bundles/redoc.standalone.js": "redoc.standalone.js"}),
    "axe-core": ("4.14.1", TEST_VENDOR / "axe-core", {"axe.min.js": "axe.min.js"}),
}
# Remote references inside vendored bundles, replaced so nothing is fetched from the internet.
# ReDoc's side menu shows a logo from its CDN (it hides it when the load fails, but the blocked
# request is a console error offline and under the console's CSP): an empty inline SVG instead.
PATCHES: dict[str, list[tuple[str, str]]] = {
    "redoc.standalone.js": [
        (
            "https://cdn.redoc.ly/redoc/logo-mini.svg",
            "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E",
        )
    ],
}
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "license", "LICENSE-MIT")


def vendor(package: str, version: str, destination: Path, files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        command = ["npm", "pack", f"{package}@{version}", "--silent", "--pack-destination", tmp]
        subprocess.run(  # noqa: S603 - fixed arguments from PACKAGES; npm from PATH
            command,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            archive.extractall(tmp, filter="data")
        source = Path(tmp) / "package"
        if destination.exists():
            shutil.rmtree(destination)
        destination.mkdir(parents=True)
        for inner, name in files.items():
            text = (source / inner).read_bytes()
            for old, new in PATCHES.get(name, []):
                if old.encode() not in text:
                    raise SystemExit(f"{package}@{version}: {name} no longer holds {old}")
                text = text.replace(old.encode(), new.encode())
            (destination / name).write_bytes(text)
        licenses = [source / n for n in LICENSE_NAMES if (source / n).is_file()]
        if not licenses:
            raise SystemExit(f"{package}@{version} ships no license file")
        shutil.copyfile(licenses[0], destination / "LICENSE")
        (destination / "VERSION").write_text(f"{package}@{version}\n")
    print(f"vendored {package}@{version} -> {destination.relative_to(ROOT)}")


def main() -> int:
    for package, (version, destination, files) in PACKAGES.items():
        vendor(package, version, destination, files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
