"""Dashboards as code: one module per dashboard, each exposing UID, FILENAME and build()."""

from __future__ import annotations

from types import ModuleType

from . import api_performance, ml_operations, overview, tenant_management

DASHBOARD_MODULES: tuple[ModuleType, ...] = (
    overview,
    ml_operations,
    tenant_management,
    api_performance,
)
