"""How the bot's log lines look: one line per record (the default, for people), or one JSON
object per line (`LOG_FORMAT=json`, for log aggregators), at `LOG_LEVEL`.

Either way secrets are blanked in the finished line, tracebacks included: the keys and
tokens the bot was started with, a key stored by a rotation, and anything shaped like a
Slack token, a bearer header or a password inside a database URL. Redacting the output,
not each logger, covers libraries that log request bodies or raise with a URL in the text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from datetime import datetime, timezone

REDACTED = "***"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that log one line per request or per one-second tick bury what matters.
CHATTY = ("httpx", "apscheduler.executors.default", "apscheduler.scheduler")

_SHAPES = (
    re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{6,}"),  # Slack bot, user and refresh tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]{6,}"),  # Slack app-level tokens
    re.compile(r"(?i)(?<=bearer )[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(r"(?i)(?<=x-api-key: )\S{6,}"),
    re.compile(r"(?i)(?<=x-api-key': ')[^']{6,}"),
    re.compile(r"(?<=://)([^:/@\s]+):[^@/\s]+(?=@)"),  # scheme://user:password@host
)


class Secrets:
    """The exact secret values to blank, wherever they appear. Shared by every handler, and
    grown at run time (a rotation stores a new key)."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._followed: list[set[str]] = []
        self._lock = threading.Lock()

    def follow(self, values: set[str]) -> None:
        """Also blank whatever another part keeps adding to `values` (rotated keys)."""
        with self._lock:
            if all(values is not seen for seen in self._followed):
                self._followed.append(values)

    def add(self, *values: str | None) -> None:
        with self._lock:
            # A value this short would blank ordinary words; real keys are long.
            self._values.update(v for v in values if v and len(v) >= 6)

    def redact(self, text: str) -> str:
        with self._lock:
            known = self._values.union(*(set(f) for f in self._followed))
        values = sorted((v for v in known if v and len(v) >= 6), key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, REDACTED)
        for shape in _SHAPES:
            text = shape.sub(_blank, text)
        return text


def _blank(match: re.Match[str]) -> str:
    # Keep the user name of a URL's credentials: it helps, and it is not the secret.
    return f"{match.group(1)}:{REDACTED}" if match.re.groups else REDACTED


SECRETS = Secrets()


class OneLineFormatter(logging.Formatter):
    """One record, one line: a line break inside a message (from a request, a grid name,
    an error text) is shown as \\n, so nobody can forge a line of the log. Tracebacks
    keep their lines."""

    def __init__(self, fmt: str = TEXT_FORMAT, secrets: Secrets = SECRETS) -> None:
        super().__init__(fmt)
        self.secrets = secrets

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = record.message.replace("\r", "\\r").replace("\n", "\\n")
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        return self.secrets.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, ISO 8601), level, logger,
    message, and the traceback as one string when there is one."""

    def __init__(self, secrets: Secrets = SECRETS) -> None:
        super().__init__()
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": self.secrets.redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = self.secrets.redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self.secrets.redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)


def formatter(kind: str, secrets: Secrets = SECRETS) -> logging.Formatter:
    return JsonFormatter(secrets) if kind == "json" else OneLineFormatter(secrets=secrets)


def configure_logging(
    level: int | str = logging.INFO, kind: str = "text", secrets: Iterable[str | None] = ()
) -> None:
    """The root logger's one handler (stderr) in the chosen format; `secrets` are blanked
    from every line from now on."""
    SECRETS.add(*secrets)
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(kind))
    logging.basicConfig(level=numeric, handlers=[handler], force=True)
    # Warnings and uncaught exceptions (in any thread) go through the same handler, so
    # they come out in the same format and redacted, not as raw text on stderr.
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_exception
    sys.excepthook = _log_exception
    for chatty in CHATTY:
        logging.getLogger(chatty).setLevel(max(numeric, logging.WARNING))


def _log_exception(kind, value, traceback) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, traceback)
        return
    logging.getLogger("bot").critical("uncaught exception", exc_info=(kind, value, traceback))


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else "?"
    logging.getLogger("bot").error(
        "uncaught exception in thread %s",
        name,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
