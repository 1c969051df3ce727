"""Every console route in one router, mounted by `api/app.py` through `ROUTERS`.

Order matters where paths overlap: literal segments (`/experiments/compare`, `/jobs/rows`)
come before the parameterised ones, for routing and for the metrics' route templates alike.
"""

from fastapi import APIRouter

from maestro.web import admin, assets, auth, datasets, experiments, home, jobs, models

router = APIRouter(include_in_schema=False)
# The routes themselves, not `include_router`: FastAPI keeps included routers as opaque
# entries, and `api.app.route_templates` must see every console path for the HTTP metrics.
for module in (assets, auth, home, models, experiments, datasets, jobs, admin):
    router.routes.extend(module.router.routes)
