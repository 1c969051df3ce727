"""Domain logic. Services take a SQLAlchemy session and a Principal; they know nothing of HTTP."""
