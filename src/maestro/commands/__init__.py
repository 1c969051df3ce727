"""CLI command groups, one module per area; `maestro.cli` mounts them."""
