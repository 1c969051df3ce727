"""Logging set-up: plain or JSON lines, with API keys redacted from every record."""

import logging
import re

from pythonjsonlogger.json import JsonFormatter

API_KEY_PATTERN = re.compile(r"mst_[A-Za-z0-9_\-]{8,}")
_REDACTED = "mst_[REDACTED]"


class RedactApiKeys(logging.Filter):
    """Defence in depth: nothing should log a key, and if something does, it is masked here."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "mst_" in message:
            record.msg = API_KEY_PATTERN.sub(_REDACTED, message)
            record.args = None
        return True


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    handler = logging.StreamHandler()
    if json:
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=True)
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactApiKeys())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
