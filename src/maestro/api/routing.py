"""What the router knows about a path, for answers the router itself gives (405's `Allow`)."""

from fastapi.routing import iter_route_contexts
from starlette.requests import Request


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (RFC 9110 §15.5.6), not only the first route's.

    Starlette answers a 405 from the first route whose path matches, so `/tenants` (GET and POST
    in two routes) would claim to allow only one of them.
    """
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(path):
            methods |= route.methods
    return ", ".join(sorted(methods))
