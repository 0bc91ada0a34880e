"""`bitscale-bot start`: Socket Mode, or HTTP on PORT behind waitress; scheduler in-process.
Either way HOST:PORT answers GET /healthz and GET /readyz. Anything that stops start-up is
one line."""

from __future__ import annotations

import errno
import logging
import os
import re
import signal
import sys
import threading
import time
from contextlib import contextmanager
from urllib.error import URLError

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.bootstrap import Bot, build_bot
from bot.config import Settings
from bot.health import Health, probe_for
from bot.scheduler import start_scheduler
from bot.slack.socket_watch import SocketWatch
from bot.store.database import StoreError
from bot.store.instance_lock import InstanceLockError
from bot.web import EVENTS_PATH, health_app, http_server, wsgi_app

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
    if refused is None and isinstance(exc, (BoltError, SlackApiError)):
        # Any other answer of auth.test is a refusal too (not_allowed_token_type: an
        # app-level or user token in the bot token's place), not Slack out of reach.
        said = re.search(r"'error': '([a-z_]+)'", text)
        refused = said.group(1) if said else None
    if refused:
        return (
            f"Slack rejected SLACK_BOT_TOKEN ({refused}). Copy the Bot User OAuth Token "
            "(xoxb-…) again from the app's OAuth & Permissions page."
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


# The longest the drain waits for the scheduler's ticks under way once the runs are
# drained, and never past the drain's own SHUTDOWN_DRAIN_SECONDS.
TICKS_WAIT_SECONDS = 5.0


def _stop_ticks(scheduler) -> threading.Thread:
    """Start no tick from now on; the thread returned ends when the ticks under way have."""
    stopping = threading.Thread(
        target=scheduler.shutdown, kwargs={"wait": True}, name="scheduler-stop", daemon=True
    )
    stopping.start()
    return stopping


def _wait_for_ticks(stopping: threading.Thread, deadline: float, clock) -> bool:
    """Wait for the ticks under way, up to TICKS_WAIT_SECONDS and not past `deadline`."""
    stopping.join(max(0.0, min(TICKS_WAIT_SECONDS, deadline - clock())))
    if stopping.is_alive():
        log.warning("a scheduler tick is still under way; letting go of the leases anyway")
        return False
    return True


def _drain(bot: Bot, scheduler, listeners: list, seconds: float, *, clock=time.monotonic) -> bool:
    """A deploy's SIGTERM: take no new work, give runs in flight up to `seconds` (sync runs
    waiting on BitScale, results being posted), and leave the rest in the database: for
    the next start, or on PostgreSQL for the other processes. Runs at BitScale with a
    request id lose nothing by waiting; a sync run still waiting when time is up is told
    to its requester. The scheduler's ticks under way (a firing being started, the leader's
    jobs) end before the leases are let go, within the same `seconds`: another process
    taking the lead, or this one's firings, never works beside a tick still running here."""
    # A second SIGTERM (an impatient supervisor) must not cut the drain short.
    signal.signal(signal.SIGTERM, lambda *_: log.info("already stopping"))
    deadline = clock() + seconds
    ticks = _stop_ticks(scheduler)
    for listener in listeners:
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
    _wait_for_ticks(ticks, deadline, clock)
    # Let go at once: another process leads the periodic jobs from its next renewal, and
    # reports at once what this one could not finish sending (not 15 s later).
    for lease in (bot.leader, bot.heartbeat):
        if lease is not None:
            try:
                lease.release()
            except Exception:  # noqa: BLE001 - the database gone too: the lease lapses
                log.warning("could not let go of the %s lease; it lapses by itself", lease.name)
    if drained and bot.store.postgres:
        log.info("stopped; the other processes carry on the %d unfinished runs", pending)
    elif drained:
        log.info("stopped; %d unfinished runs resume at the next start", pending)
    else:
        log.warning(
            "stopped after %gs with %d runs still being submitted; their requesters are "
            "told at the next start (raise SHUTDOWN_DRAIN_SECONDS if your host allows)",
            seconds,
            bot.runs.in_flight_submissions(),
        )
    return drained


class StartError(Exception):
    """Start-up cannot go on; the message is one line for the operator."""


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"PORT {port} is already in use on HOST {host}: stop whatever holds it (another "
            "bitscale-bot?) or set PORT to a free port."
        )
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on PORT {port}: use a port above 1023 or set PORT."
    reason = exc.strerror or type(exc).__name__
    return f"cannot listen on HOST {host} PORT {port} ({reason}): check HOST and PORT."


def _app_token_problem(exc: Exception, api_url: str) -> str:
    if isinstance(exc, SlackApiError):
        error = exc.response.get("error") if exc.response is not None else None
        return (
            f"Slack refused SLACK_APP_TOKEN ({error or 'no reason given'}). Generate an "
            "app-level token with connections:write under Basic Information → App-Level "
            "Tokens, and check Socket Mode is on (Settings → Socket Mode)."
        )
    reason = getattr(exc, "reason", None) or type(exc).__name__
    return (
        f"could not open a Socket Mode connection through {api_url} ({reason}). Check the "
        "network or SLACK_API_URL."
    )


@contextmanager
def _quiet(logger: logging.Logger):
    """While a start-up check talks to Slack: slack_sdk logs each failure and retry (ERROR
    and INFO lines) before it raises; the operator gets our one line instead."""
    before = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(before)


def listen(bot: Bot, health: Health):
    """Bind HOST:PORT (Slack's requests in HTTP mode; /healthz and /readyz only in Socket
    Mode) and, in Socket Mode, open the connection. Either failing is a StartError, before
    the scheduler sends or polls anything. Returns (web server, Socket Mode handler or None)."""
    settings = bot.settings
    ready = bot.readiness
    ready.add("database", health.database_problem)
    ready.add("scheduler", health.scheduler_problem)
    if settings.socket_mode:
        app = health_app(health, ready)
    else:
        app = wsgi_app(bot.app, health=health, readiness=ready)
    try:
        web = http_server(app, host=settings.host, port=settings.port)
    except OSError as exc:
        raise StartError(_bind_problem(exc, settings.host, settings.port)) from None
    if not settings.socket_mode:
        return web, None
    handler = socket_mode_handler(bot)
    ready.add("slack-socket", SocketWatch(handler.client).problem)
    try:
        with _quiet(handler.client.logger):
            handler.connect()
    except (SlackClientError, URLError, OSError) as exc:
        web.close()
        handler.close()
        raise StartError(_app_token_problem(exc, settings.slack_api_url)) from None
    return web, handler


def serve_bot(settings: Settings, *, clock=time.monotonic) -> int:
    try:
        with _quiet(logging.getLogger("slack_sdk.web.base_client")):
            bot = build_bot(settings)
    except (StoreError, InstanceLockError) as exc:
        print(f"bitscale-bot: {exc}", file=sys.stderr)
        return 2
    except (BoltError, SlackClientError, URLError, OSError) as exc:
        print(f"bitscale-bot: {_slack_start_problem(exc, settings.slack_api_url)}", file=sys.stderr)
        return 2
    health = Health(probe_for(bot.store), tick_seconds=settings.tick_seconds, clock=clock)
    try:
        web, socket = listen(bot, health)
    except StartError as exc:
        print(f"bitscale-bot: {exc}", file=sys.stderr)
        bot.close()
        return 2
    scheduler = start_scheduler(
        bot.runs,
        bot.credits,
        tick_seconds=settings.tick_seconds,
        credit_minutes=settings.credit_check_minutes,
        batches=bot.batches,
        progress=bot.progress,
        retention=bot.retention,
        jobs=bot.jobs,
        leader=bot.leader,
    )
    scheduler.add_listener(health.on_job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def on_sigterm(signum, _frame):
        log.info("signal %s: shutting down", signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    where = f"http://{settings.host}:{settings.port}"
    try:
        if socket is not None:
            log.info("connected to Slack in Socket Mode; health on %s/healthz", where)
        else:
            log.info("listening on %s%s", where, EVENTS_PATH)
        print(f"bitscale-bot listening on port {settings.port}", flush=True)
        web.run()
    except KeyboardInterrupt:
        pass
    finally:
        listeners = [web] if socket is None else [web, socket]
        drained = _drain(bot, scheduler, listeners, settings.shutdown_drain_seconds)
        if not drained:
            # Don't let threads still waiting on BitScale hold the process open.
            logging.shutdown()
            os._exit(0)
    return 0
