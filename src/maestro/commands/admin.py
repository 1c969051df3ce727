"""`maestro admin`: bootstrap the platform admin; create and update tenants; users and keys."""

from typing import Annotated

import typer

from maestro.commands._common import DEFAULT_URL, AdminKeyOption, UrlOption, api_client, print_json

app = typer.Typer(help="Platform administration.", no_args_is_help=True)


@app.command()
def bootstrap(
    username: Annotated[str, typer.Option(help="Name of the platform admin user.")] = "admin",
    rotate: Annotated[
        bool,
        typer.Option(
            help="The admin exists (its key was lost): revoke its keys and print a new one."
        ),
    ] = False,
) -> None:
    """Create the platform admin in the configured database and print its key (shown once).

    Runs against the database directly (MAESTRO_DATA_DIR / MAESTRO_DATABASE_URL), so it works
    without any key: the way back when the admin key is lost is `--rotate`.
    """
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
            exists = identity.has_platform_admin(session)
            if exists and not rotate:
                typer.echo(
                    "a platform admin already exists: keep using its key, or run "
                    "`maestro admin bootstrap --rotate` to revoke it and print a new one",
                    err=True,
                )
                raise typer.Exit(1)
            if exists:
                issued = identity.rotate_platform_admin_key(session)
            else:
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
        try:
            quotas[resource] = None if limit.lower() == "none" else int(limit)
        except ValueError:
            raise typer.BadParameter(
                f"LIMIT must be a whole number or 'none', got {limit!r}", param_hint="--quota"
            ) from None
    rate_limit = None
    if requests_per_minute or burst:
        rate_limit = {"requests_per_minute": requests_per_minute or 600, "burst": burst or 100}
    with api_client(url, admin_key, admin=True) as client:
        print_json(client.create_tenant(slug, name or slug, quotas=quotas, rate_limit=rate_limit))


@app.command("update-tenant")
def update_tenant(
    slug: str,
    name: Annotated[str | None, typer.Option(help="New display name.")] = None,
    log_retention_days: Annotated[
        float | None,
        typer.Option(help="Days the tenant's prediction log keeps a row (above 0, max 3650)."),
    ] = None,
    log_max_bytes: Annotated[
        int | None,
        typer.Option(help="Size of the tenant's prediction log; the oldest rows go first."),
    ] = None,
    log_defaults: Annotated[
        bool, typer.Option(help="Return both prediction log bounds to the platform defaults.")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    admin_key: AdminKeyOption = None,
) -> None:
    """Change a tenant's name or prediction log bounds; options not given stay as they are."""
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = name
    if log_defaults:
        if log_retention_days is not None or log_max_bytes is not None:
            raise typer.BadParameter(
                "give either --log-defaults or the bounds", param_hint="--log-defaults"
            )
        changes["prediction_log"] = None
    else:
        bounds = {"retention_days": log_retention_days, "max_bytes": log_max_bytes}
        given = {key: value for key, value in bounds.items() if value is not None}
        if given:
            changes["prediction_log"] = given
    if not changes:
        raise typer.BadParameter("nothing to change: give at least one option")
    with api_client(url, admin_key, admin=True) as client:
        print_json(client.update_tenant(slug, **changes))


@app.command("create-user")
def create_user(
    tenant: str,
    username: str,
    role: Annotated[str, typer.Option(help="owner, member or viewer")] = "member",
    url: UrlOption = DEFAULT_URL,
    admin_key: AdminKeyOption = None,
) -> None:
    """Create a user in a tenant."""
    with api_client(url, admin_key, admin=True) as client:
        print_json(client.create_user(tenant, username, role))


@app.command("create-key")
def create_key(
    user_id: str,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "cli",
    url: UrlOption = DEFAULT_URL,
    admin_key: AdminKeyOption = None,
) -> None:
    """Issue an API key for a user; the key is printed once."""
    with api_client(url, admin_key, admin=True) as client:
        print_json(client.create_api_key(user_id, name))


@app.command("delete-user")
def delete_user(
    user_id: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    url: UrlOption = DEFAULT_URL,
    admin_key: AdminKeyOption = None,
) -> None:
    """Delete a tenant user; their API keys and console sessions stop working at once.

    The tenant's last enabled owner cannot be deleted (make another user owner first).
    """
    if not yes:
        typer.confirm(f"Delete user {user_id} with its API keys and sessions?", abort=True)
    with api_client(url, admin_key, admin=True) as client:
        client.delete_user(user_id)
    typer.echo(f"deleted user {user_id}")
