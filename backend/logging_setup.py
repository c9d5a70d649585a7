"""Configure logging for a Tocsin process: readable text, or one JSON object per line."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from backend.config import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that servers configure on their own; they are pointed at our handler instead.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler")
# Attributes every LogRecord has; anything else came from ``extra=`` and is kept as a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_STANDARD.add("color_message")  # uvicorn's copy of the message with terminal colours
_SECRET_KEY = re.compile(r"pass(word)?|secret|token|authorization|cookie|api_key", re.IGNORECASE)
_TOKEN = re.compile(r"tocsin_[A-Za-z0-9_\-]{8,}")
REDACTED = "[redacted]"
HANDLER_NAME = "tocsin"


def redact(text: str) -> str:
    """Hide API tokens that slipped into a message."""
    return _TOKEN.sub("tocsin_" + REDACTED, text)


def _field(key: str, value: Any) -> Any:
    """Return a JSON-safe value for an extra field, redacting secret-looking keys."""
    if _SECRET_KEY.search(key):
        return REDACTED
    if isinstance(value, str | int | float | bool) or value is None:
        return redact(value) if isinstance(value, str) else value
    return redact(repr(value))


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "process": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _field(key, value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class RedactingFormatter(logging.Formatter):
    """The text format, with API tokens hidden."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the usual text line with tokens redacted."""
        return redact(super().format(record))


def make_handler(settings: Settings) -> logging.Handler:
    """Return a stderr handler in the configured format, marked as Tocsin's."""
    handler = logging.StreamHandler()
    json_lines = settings.log_format == "json"
    handler.setFormatter(JsonFormatter() if json_lines else RedactingFormatter(TEXT_FORMAT))
    handler.set_name(HANDLER_NAME)
    return handler


def configure_logging(settings: Settings) -> None:
    """Send every log line (ours, uvicorn's, APScheduler's) to one handler in one format."""
    root = logging.getLogger()
    # Replace only our own handler: others (pytest's capture, an embedding app) stay.
    root.handlers = [h for h in root.handlers if h.get_name() != HANDLER_NAME]
    root.addHandler(make_handler(settings))
    root.setLevel(settings.log_level.upper())
    for name in SERVER_LOGGERS:
        server = logging.getLogger(name)
        server.handlers = []
        server.propagate = True
