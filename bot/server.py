"""`bitscale-bot start`: Socket Mode, or HTTP on PORT behind waitress; scheduler in-process."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from urllib.error import URLError

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError

from bot.bootstrap import Bot, build_bot
from bot.config import Settings
from bot.instance import InstanceLockError
from bot.scheduler import start_scheduler
from bot.store import StoreError
from bot.web import EVENTS_PATH, MAX_BODY_BYTES, http_server, wsgi_app

__all__ = ["EVENTS_PATH", "MAX_BODY_BYTES", "http_server", "serve_bot", "wsgi_app"]

log = logging.getLogger(__name__)

_TOKEN_REFUSALS = (
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
)


def _slack_start_problem(exc: Exception, api_url: str) -> str:
    """One line for a failed auth.test: a refused token, or Slack out of reach."""
    text = str(exc)
    refused = next((r for r in _TOKEN_REFUSALS if r in text), None)
    if refused:
        return (
            f"Slack rejected SLACK_BOT_TOKEN ({refused}). Copy the Bot User OAuth Token "
            "again from the app's OAuth & Permissions page."
        )
    reason = getattr(exc, "reason", None) or type(exc).__name__
    return (
        f"could not reach Slack at {api_url} to check SLACK_BOT_TOKEN ({reason}). "
        "Check the network or SLACK_API_URL."
    )


def socket_mode_handler(bot: Bot):
    """Bolt's Socket Mode adapter for this bot. It asks `apps.connections.open` through the
    bot's own WebClient, so SLACK_API_URL decides where the socket comes from (Slack, or
    the playground's stand-in), and reconnects by itself when Slack asks it to."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert bot.settings.slack_app_token is not None
    return SocketModeHandler(bot.app, bot.settings.slack_app_token.get_secret_value())


def _drain(bot: Bot, scheduler, listener, seconds: float) -> bool:
    """A deploy's SIGTERM: take no new work, give runs in flight up to `seconds` (sync runs
    waiting on BitScale, results being posted), and leave the rest in SQLite for the next
    start. Runs at BitScale with a request id lose nothing by waiting; a sync run still
    waiting when time is up is told to its requester at the next start."""
    # A second SIGTERM (an impatient supervisor) must not cut the drain short.
    signal.signal(signal.SIGTERM, lambda *_: log.info("already stopping"))
    scheduler.shutdown(wait=False)
    if listener is not None:
        # Closing must not hold up the drain (the socket client waits out its reads).
        threading.Thread(target=listener.close, daemon=True).start()
    bot.batches.stop()
    log.info(
        "stopping: up to %gs for %d runs being submitted",
        seconds,
        bot.runs.in_flight_submissions(),
    )
    bot.runs.shutdown(wait=False)
    drained = bot.runs.drain(seconds)
    pending = bot.runs.pending_count()
    if drained:
        log.info("stopped; %d unfinished runs resume at the next start", pending)
    else:
        log.warning(
            "stopped after %gs with %d runs still being submitted; their requesters are "
            "told at the next start (raise SHUTDOWN_DRAIN_SECONDS if your host allows)",
            seconds,
            bot.runs.in_flight_submissions(),
        )
    return drained


def serve_bot(settings: Settings) -> int:
    host = settings.host
    try:
        bot = build_bot(settings)
    except (StoreError, InstanceLockError) as exc:
        print(f"bitscale-bot: {exc}", file=sys.stderr)
        return 2
    except (BoltError, SlackClientError, URLError, OSError) as exc:
        print(f"bitscale-bot: {_slack_start_problem(exc, settings.slack_api_url)}", file=sys.stderr)
        return 2
    scheduler = start_scheduler(
        bot.runs,
        bot.credits,
        tick_seconds=settings.tick_seconds,
        credit_minutes=settings.credit_check_minutes,
        batches=bot.batches,
        progress=bot.progress,
    )

    def on_sigterm(signum, _frame):
        log.info("signal %s: shutting down", signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    listener = None
    try:
        if settings.socket_mode:
            log.info("starting in Socket Mode")
            listener = socket_mode_handler(bot)
            listener.start()
        else:
            listener = http_server(wsgi_app(bot.app), host=host, port=settings.port)
            log.info("listening on http://%s:%s%s", host, settings.port, EVENTS_PATH)
            print(f"bitscale-bot listening on port {settings.port}", flush=True)
            listener.run()
    except KeyboardInterrupt:
        pass
    finally:
        drained = _drain(bot, scheduler, listener, settings.shutdown_drain_seconds)
        if not drained:
            # Don't let threads still waiting on BitScale hold the process open.
            logging.shutdown()
            os._exit(0)
    return 0
