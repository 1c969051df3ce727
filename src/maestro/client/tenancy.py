"""Tenants, users, API keys, usage, /me."""

from typing import Any

from maestro.client.base import BaseClient


class TenancyMixin(BaseClient):
    def create_tenant(
        self,
        slug: str,
        name: str,
        *,
        quotas: dict[str, int | None] | None = None,
        rate_limit: dict[str, int] | None = None,
        prediction_log: dict[str, float | int | None] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"slug": slug, "name": name, "quotas": quotas or {}}
        if rate_limit is not None:
            body["rate_limit"] = rate_limit
        if prediction_log is not None:
            body["prediction_log"] = prediction_log
        return self._json("POST", "/tenants", json=body)

    def get_tenant(self, slug: str) -> dict[str, Any]:
        return self._json("GET", f"/tenants/{slug}")

    def list_tenants(self) -> list[dict[str, Any]]:
        return list(self._paginate("/tenants"))

    def update_tenant(self, slug: str, **changes: Any) -> dict[str, Any]:
        return self._json("PATCH", f"/tenants/{slug}", json=changes)

    def delete_tenant(self, slug: str) -> None:
        self.request("DELETE", f"/tenants/{slug}")

    def usage(self, tenant: str) -> dict[str, Any]:
        return self._json("GET", f"/tenants/{tenant}/usage")

    def create_user(self, tenant: str, username: str, role: str = "member") -> dict[str, Any]:
        return self._json(
            "POST", f"/tenants/{tenant}/users", json={"username": username, "role": role}
        )

    def list_users(self, tenant: str) -> list[dict[str, Any]]:
        return list(self._paginate(f"/tenants/{tenant}/users"))

    def update_user(self, user_id: str, **changes: Any) -> dict[str, Any]:
        """Change `role` and/or `disabled`."""
        return self._json("PATCH", f"/users/{user_id}", json=changes)

    def delete_user(self, user_id: str) -> None:
        """Delete a user with its API keys and console sessions."""
        self.request("DELETE", f"/users/{user_id}")

    def create_api_key(self, user_id: str, name: str = "default") -> dict[str, Any]:
        return self._json("POST", f"/users/{user_id}/api-keys", json={"name": name})

    def delete_api_key(self, key_id: str) -> None:
        self.request("DELETE", f"/api-keys/{key_id}")

    def me(self) -> dict[str, Any]:
        return self._json("GET", "/me")
