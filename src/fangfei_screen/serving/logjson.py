"""``serve --log-json``: one JSON object a line on stderr for each request and each decision.

Nothing here runs on import: ``configure`` is called by the serve command only.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

LOGGER = "fangfei_screen.serve"


class JsonLines(logging.Formatter):
    """A record as one JSON object: its ``json`` extra if any, else the message."""

    def format(self, record: logging.LogRecord) -> str:
        body = dict(getattr(record, "json", None) or {"event": "log", "message": record.getMessage()})
        body = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), **body}
        return json.dumps(body, ensure_ascii=False, default=str)


def configure(*, stream: object = None) -> logging.Logger:
    """Send the service's log (requests, decisions, failures) to stderr as JSON lines."""
    logger = logging.getLogger(LOGGER)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonLines())
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger
