"""`maestro admin`: bootstrap the platform admin, and create tenants, users and keys."""

from typing import Annotated

import typer

from maestro.commands._common import DEFAULT_URL, AdminKeyOption, UrlOption, api_client, print_json

app = typer.Typer(help="Platform administration.", no_args_is_help=True)


@app.command()
def bootstrap(
    username: Annotated[str, typer.Option(help="Name of the platform admin user.")] = "admin",
    rotate: Annotated[
        bool, typer.Option(help="Issue a new key when the admin already exists.")
    ] = False,
) -> None:
    """Create the platform admin in the configured database and print its key (shown once)."""
    from maestro.db.migrate import upgrade_to_head
    from maestro.db.session import Database
    from maestro.services.identity import IdentityService
    from maestro.services.quotas import QuotaPolicy
    from maestro.settings import get_settings

    settings = get_settings()
    db = Database(settings.resolved_database_url)
    try:
        upgrade_to_head(db.engine)
        identity = IdentityService(QuotaPolicy(settings.quotas))
        with db.session() as session:
            if identity.has_platform_admin(session) and not rotate:
                typer.echo("a platform admin already exists; use --rotate for a new key", err=True)
                raise typer.Exit(1)
            issued = identity.create_platform_admin(session, username, None)
    finally:
        db.dispose()
    typer.echo("Platform admin key (shown once, store it safely):")
    typer.echo(issued.key)


@app.command("create-tenant")
def create_tenant(
    slug: str,
    name: Annotated[str | None, typer.Option(help="Display name (defaults to the slug).")] = None,
    quota: Annotated[
        list[str] | None, typer.Option(help="RESOURCE=LIMIT, repeatable; LIMIT 'none' = unlimited")
    ] = None,
    requests_per_minute: Annotated[int | None, typer.Option("--rpm")] = None,
    burst: Annotated[int | None, typer.Option()] = None,
    url: UrlOption = DEFAULT_URL,
    admin_key: AdminKeyOption = None,
) -> None:
    """Create a tenant with optional quota and rate-limit overrides."""
    quotas: dict[str, int | None] = {}
    for item in quota or []:
        resource, sep, limit = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected RESOURCE=LIMIT, got {item!r}", param_hint="--quota")
        quotas[resource] = None if limit.lower() == "none" else int(limit)
    rate_limit = None
    if requests_per_minute or burst:
        rate_limit = {"requests_per_minute": requests_per_minute or 600, "burst": burst or 100}
    with api_client(url, admin_key) as client:
        print_json(client.create_tenant(slug, name or slug, quotas=quotas, rate_limit=rate_limit))


@app.command("create-user")
def create_user(
    tenant: str,
    username: str,
    role: Annotated[str, typer.Option(help="owner, member or viewer")] = "member",
    url: UrlOption = DEFAULT_URL,
    admin_key: AdminKeyOption = None,
) -> None:
    """Create a user in a tenant."""
    with api_client(url, admin_key) as client:
        print_json(client.create_user(tenant, username, role))


@app.command("create-key")
def create_key(
    user_id: str,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "cli",
    url: UrlOption = DEFAULT_URL,
    admin_key: AdminKeyOption = None,
) -> None:
    """Issue an API key for a user; the key is printed once."""
    with api_client(url, admin_key) as client:
        print_json(client.create_api_key(user_id, name))
