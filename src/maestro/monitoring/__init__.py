"""Operator tooling for the monitoring bundle: metrics contract, `maestro monitoring check`."""
