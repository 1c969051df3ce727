"""HTTP API: FastAPI app factory, routers, auth dependencies, error handlers."""
