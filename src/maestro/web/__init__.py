"""The web console: server-rendered pages over the same services as the API.

It owns the console's routes, templates, static assets (vendored at pinned versions, served
locally so the console and the `/docs` and `/redoc` pages work offline), its sign-in sessions,
CSRF checks and security headers. It never touches `db/` directly: every page goes through the
services, so tenant isolation, roles, quotas and metrics hold exactly as they do in the API.
"""

from maestro.web.routes import router
from maestro.web.security import hardened_error_page as error_page

__all__ = ["error_page", "router"]
