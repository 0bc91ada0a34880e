"""Build the Bolt app and register its listeners."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltResponse
from slack_bolt.request import request as bolt_request
from slack_sdk import WebClient

from bot.slack.home import HomePublisher
from bot.slack.listeners import register_listeners
from bot.slack.services import Services
from bot.slack.unavailable import database_unavailable, tell_try_again
from bot.store.engines import waiting_at_most

log = logging.getLogger(__name__)

# How long a Slack request waits for a database connection before the person is told to
# try again: Slack shows its own timeout error after 3 s.
REQUEST_POOL_WAIT_SECONDS = 1.5


class _TokenInClientIsIntended(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN in the environment goes unused when a client is
    given; giving the client is the point here (it may aim at a stand-in)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


class _NoRequestBodies(logging.Filter):
    """Bolt puts a whole request body into some lines (an unhandled request, a bad
    signature at INFO); a body holds what people typed, so it stays out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for start in ("Unhandled request (", "Invalid request signature detected"):
            if message.startswith(start):
                record.msg, record.args = f"{start.rstrip(' (')} (body not logged)", None
        return True


logging.getLogger("slack_bolt.App").addFilter(_TokenInClientIsIntended())


def quiet_bolt_logs() -> None:
    """Bolt's own lines at WARNING and up, never with a request body."""
    bolt = logging.getLogger("slack_bolt")
    if bolt.getEffectiveLevel() < logging.WARNING:
        bolt.setLevel(logging.WARNING)
    for name in ("slack_bolt.App", "slack_bolt.RequestVerification"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoRequestBodies) for f in logger.filters):
            logger.addFilter(_NoRequestBodies())


def _parse_body(body: str, content_type: str | None) -> dict[str, Any]:
    """Bolt's parser, minus a bug: Bolt takes any form body that merely *contains* the
    word "payload" (`/bitscale run Payload Grid`, a channel called #payload) for an
    interaction and drops the command (a 404). Only a `payload` field makes one."""
    if not body:
        return {}
    if content_type == "application/json" or body.startswith("{"):
        return json.loads(body)
    params = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in params:
        return json.loads(params["payload"])
    return params


bolt_request.parse_body = _parse_body  # type: ignore[assignment]


def build_app(
    client: WebClient,
    services: Services,
    *,
    signing_secret: str = "",
    token_verification: bool = True,
    socket_mode: bool = False,
) -> App:
    """The app; `client` decides where Slack calls go (Slack itself, or a stand-in).

    Over HTTP every request must carry Slack's signature, so HTTP mode without a signing
    secret is refused here rather than served unchecked.
    """
    if not socket_mode and not signing_secret.strip():
        raise ValueError("HTTP mode needs a signing secret: requests would go unverified")
    quiet_bolt_logs()
    app = _new_app(client, signing_secret.strip(), token_verification)
    register_listeners(app, services)
    if services.home is None:
        services.home = HomePublisher(client, services).start()

    @app.error
    def on_error(error: Exception, body: dict, client: WebClient) -> BoltResponse:
        unavailable = database_unavailable(error)
        if unavailable is not None:  # not a bug: the person is told to try again
            return tell_try_again(unavailable, body, client)
        # No stack trace reaches a user; the log keeps it.
        log.error("listener failed: %s", error, exc_info=error)
        return BoltResponse(status=200, body="")

    return app


class _App(App):
    def dispatch(self, req):  # type: ignore[no-untyped-def]
        # Slack waits 3 s for the answer: a database that is away is said in time.
        with waiting_at_most(REQUEST_POOL_WAIT_SECONDS):
            return super().dispatch(req)


def _new_app(client: WebClient, signing_secret: str, token_verification: bool) -> App:
    return _App(
        client=client,
        # Listeners ack and hand slow work to Services.later, so they finish in
        # milliseconds: run them on the request's own thread and answer when they
        # return. (Otherwise Bolt polls for the ack every 10 ms on a pool of 5.)
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(8, thread_name_prefix="bolt"),
        signing_secret=signing_secret,
        token_verification_enabled=token_verification,
        raise_error_for_unhandled_request=False,
        # Socket Mode requests skip this check inside Bolt; over HTTP it is always on.
        request_verification_enabled=bool(signing_secret),
    )
