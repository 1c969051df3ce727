"""Tenant Management: quotas, activity and fair usage, filtered by the `$tenant` variable."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from .common import (
    QUOTA_WARNING_RATIO,
    Query,
    Section,
    bargauge_panel,
    new_dashboard,
    stat_panel,
    table_panel,
    tenant_variable,
    timeseries,
)
from .config import CONFIG

UID = "maestro-tenant-management"
FILENAME = "tenant-management.json"
TENANT = f'{CONFIG.selector}, tenant_id=~"$tenant"'


def build() -> Dashboard:
    return new_dashboard(
        UID,
        "Maestro ML Platform - Tenant Management",
        "Quota utilization, tenant activity and resource consumption.",
        [
            Section(
                "Quotas",
                [
                    timeseries(
                        "Quota Usage by Resource Type",
                        "Used / limit per tenant and quota resource; the dashed line is the 80% "
                        "warning. "
                        "Above 100% means a limit was lowered below use.",
                        "percentunit",
                        [
                            Query(
                                f"max by (tenant_id, resource_type) "
                                f"(maestro_tenant_quota_usage_ratio{{{TENANT}}})",
                                "{{tenant_id}} {{resource_type}}",
                            )
                        ],
                        threshold=QUOTA_WARNING_RATIO,
                        width=24,
                    ),
                ],
            ),
            Section(
                "Activity",
                [
                    stat_panel(
                        "Active Users (total)",
                        "Users seen in the last 15 minutes, summed over the selected tenants.",
                        "short",
                        Query(f"sum(max by (tenant_id) (maestro_tenant_active_users{{{TENANT}}}))"),
                        width=6,
                        height=8,
                    ),
                    stat_panel(
                        "Total Tenants",
                        "Number of selected tenants known to the platform.",
                        "short",
                        Query(
                            "count(max by (tenant_id) "
                            f"(maestro_tenant_quota_usage_ratio{{{TENANT}}}))"
                        ),
                        width=6,
                        height=8,
                    ),
                    timeseries(
                        "Active Users by Tenant",
                        "Users seen in the last 15 minutes, per tenant.",
                        "short",
                        [
                            Query(
                                f"max by (tenant_id) (maestro_tenant_active_users{{{TENANT}}})",
                                "{{tenant_id}}",
                            )
                        ],
                    ),
                ],
            ),
            Section(
                "Resources",
                [
                    table_panel(
                        "Tenant Resource Usage Table",
                        "Quota usage ratio per tenant and resource; cells turn red at 80%.",
                        "percentunit",
                        [
                            Query(
                                f"max by (tenant_id, resource_type) "
                                f"(maestro_tenant_quota_usage_ratio{{{TENANT}}})",
                                "Usage",
                            )
                        ],
                        threshold=QUOTA_WARNING_RATIO,
                        width=12,
                        height=8,
                    ),
                    bargauge_panel(
                        "Models per Tenant",
                        "Registered models per tenant, read from the database.",
                        "short",
                        Query(
                            f"max by (tenant_id) (maestro_ml_models_total{{{TENANT}}})",
                            "{{tenant_id}}",
                        ),
                    ),
                    timeseries(
                        "API Requests by Tenant",
                        "Requests per second per tenant, to spot noisy neighbours.",
                        "reqps",
                        [
                            Query(
                                f"sum by (tenant_id) "
                                f"(rate(maestro_http_requests_total{{{TENANT}}}[$__rate_interval]))",
                                "{{tenant_id}}",
                            )
                        ],
                        width=24,
                    ),
                ],
            ),
        ],
    ).with_variable(tenant_variable())
