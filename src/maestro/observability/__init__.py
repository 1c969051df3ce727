"""Metrics, HTTP instrumentation, the database-backed collector and logging."""
