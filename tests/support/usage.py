"""One quota's usage, read three ways (database, usage endpoint, /metrics) that must agree."""

from sqlalchemy import select

from maestro.client import MaestroClient
from maestro.db.models import QuotaUsage, Tenant
from tests.support.live_server import LiveServer
from tests.support.metrics import scrape, value


def usage_everywhere(server: LiveServer, client: MaestroClient, slug: str, resource: str) -> int:
    """The `used` amount, after asserting the endpoint and the ratio gauge match the database."""
    with server.app.state.ctx.db.session() as session:
        used_in_db = session.scalar(
            select(QuotaUsage.used)
            .join(Tenant, Tenant.id == QuotaUsage.tenant_id)
            .where(Tenant.slug == slug, QuotaUsage.resource_type == resource)
        )
    reported = client.usage(slug)["resources"][resource]
    assert reported["used"] == used_in_db
    ratio = value(
        scrape(server.url),
        "maestro_tenant_quota_usage_ratio",
        tenant_id=slug,
        resource_type=resource,
    )
    assert ratio == reported["ratio"]
    if reported["limit"]:
        assert ratio == used_in_db / reported["limit"]
    return used_in_db
