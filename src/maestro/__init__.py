"""Maestro: a self-hostable, multi-tenant ML platform with observability built in."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("maestro-ml")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"
