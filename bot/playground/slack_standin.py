"""A Slack Web API stand-in that records every call.

It answers the methods the bot uses, the way Slack does (`{"ok": false, "error": …}` with
HTTP 200 for API errors, 429 with Retry-After when rate limited), checks the limits that
Slack enforces (trigger ids expire after 3 s, 50 blocks a message, 24-character modal
titles), and serves `response_url`s and file uploads. Tests, the shell and the benchmarks
point `SLACK_API_URL` at it. `apps.connections.open` opens its Socket Mode side
(`socket_mode.py`), so the bot's Socket Mode path runs against it too.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.playground.http import QuietHandler
from bot.playground.socket_mode import SocketModeServer

log = logging.getLogger(__name__)

BOT_USER = "UBOT0001"
TRIGGER_TTL = 3.0


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float
    ok: bool = True


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict]
    thread_ts: str | None = None
    metadata: dict | None = None
    user: str = BOT_USER
    ephemeral_for: str | None = None
    files: list[dict] = field(default_factory=list)
    at: float = field(default_factory=time.monotonic)  # when the stand-in accepted it
    attachments: list[dict] = field(default_factory=list)

    def as_payload(self) -> dict:
        """The message as Slack puts it in an interaction or event payload."""
        payload: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "ts": self.ts,
            "text": self.text,
        }
        if self.blocks:
            payload["blocks"] = self.blocks
        if self.thread_ts:
            payload["thread_ts"] = self.thread_ts
        if self.attachments:
            payload["attachments"] = self.attachments
        if self.files:
            payload["files"] = self.files
        return payload


@dataclass
class SlackFault:
    method: str
    error: str = "ratelimited"
    status: int = 200  # 429 or 5xx for transport-level faults
    retry_after: int | None = None
    hang: float = 0.0
    times: int = 1
    channel: str | None = None
    thread_only: bool = False  # only calls that reply in a thread
    accept_first: bool = False  # do the call, then hang before answering (a lost answer)


class SlackStandIn:
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, token: str = "xoxb-playground"
    ) -> None:
        self.token = token  # the bot token that may download private files
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self.messages: list[Message] = []
        self.responses: list[dict] = []  # what listeners sent to response_urls
        self.views: dict[str, dict] = {}
        self.home_views: dict[str, dict] = {}  # user id → published Home tab
        self.view_log: list[tuple[str, str, dict]] = []  # (method, view_id, view)
        self.files: dict[str, dict] = {}
        self.channel_errors: dict[str, str] = {}  # channel id → error for chat.postMessage
        self.faults: list[SlackFault] = []
        self.triggers: dict[str, float] = {}
        # function execution id → {"state", "outputs", "error", "output_parameters"}
        self.function_executions: dict[str, dict[str, Any]] = {}
        self.listeners: list[Callable[[str, Any], None]] = []
        # People and user groups (users.info, users.list, usergroups.*). Anyone whose id
        # looks like a user id (U…/W…) is a plain member unless listed here.
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self._socket_mode: SocketModeServer | None = None
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        handler = type("Handler", (_Handler,), {"standin": self})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def start(self) -> SlackStandIn:
        threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="slack-standin", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._socket_mode is not None:
            self._socket_mode.stop()

    @property
    def socket_mode(self) -> SocketModeServer:
        """Slack's Socket Mode side, started on first use."""
        with self.lock:
            if self._socket_mode is None:
                self._socket_mode = SocketModeServer()
            return self._socket_mode

    # --- helpers for drivers and tests ----------------------------------------------------

    def new_trigger(self) -> str:
        trigger = f"trig-{next(self._ids)}"
        with self.lock:
            self.triggers[trigger] = time.monotonic()
        return trigger

    def response_url(self) -> str:
        return f"{self.base}/respond/{next(self._ids)}"

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0LEAD",
        thread_ts: str | None = None,
        attachments: list[dict] | None = None,
        files: list[dict] | None = None,
    ) -> Message:
        """A message someone (not the bot) posted, for shortcuts and mentions to act on."""
        message = Message(channel, self._next_ts(), text, [], thread_ts, user=user)
        message.attachments = attachments or []
        message.files = files or []
        with self.lock:
            self.messages.append(message)
        return message

    def begin_function(self, execution_id: str, output_parameters: dict[str, dict]) -> None:
        """A workflow reached a custom step: Slack now waits for it to complete or fail."""
        with self.lock:
            self.function_executions[execution_id] = {
                "state": "running",
                "outputs": None,
                "error": None,
                "output_parameters": output_parameters,
            }

    def inject(self, **kwargs: Any) -> SlackFault:
        fault = SlackFault(**kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def posts(
        self, channel: str | None = None, thread_ts: str | None = None, top_level: bool = False
    ) -> list[Message]:
        with self.lock:
            return [
                m
                for m in self.messages
                if (channel is None or m.channel == channel)
                and (thread_ts is None or m.thread_ts == thread_ts)
                and (not top_level or m.thread_ts is None)
            ]

    def post_as_user(self, channel: str, text: str, user: str = "U0ANA") -> Message:
        """A message a person wrote (what an @mention event points at)."""
        message = Message(channel, self._next_ts(), text, [], user=user)
        with self.lock:
            self.messages.append(message)
        return message

    def message(self, channel: str, ts: str) -> Message | None:
        with self.lock:
            return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def latest_view(
        self, since: int = 0, where: Callable[[dict], bool] | None = None
    ) -> dict | None:
        """The newest view opened or updated after the first `since` ones that `where`
        accepts (any view when `where` is None)."""
        with self.lock:
            for _, _, view in reversed(self.view_log[since:]):
                if where is None or where(view):
                    return view
        return None

    def on_event(self, listener: Callable[[str, Any], None]) -> None:
        """Call `listener(kind, item)` for each message, update, response or view."""
        self.listeners.append(listener)

    def _emit(self, kind: str, item: Any) -> None:
        for listener in self.listeners:
            try:
                listener(kind, item)
            except Exception:  # noqa: BLE001 - a display problem must not break the API
                log.exception("stand-in listener failed")

    # --- the API --------------------------------------------------------------------------

    def handle_api(
        self, method: str, args: dict[str, Any], header_token: str | None = None
    ) -> tuple[int, dict[str, str], dict]:
        now = time.monotonic()
        fault = self._take_fault(method, args)
        if fault is not None and fault.accept_first:
            answer = self.handle_api(method, args, header_token)
            time.sleep(fault.hang)
            return answer
        if fault is not None:
            if fault.hang:
                time.sleep(fault.hang)
            self._record(method, args, now, ok=False)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            if fault.status == 429:
                return 429, headers, {"ok": False, "error": "ratelimited"}
            if fault.status >= 500:
                return fault.status, headers, {"ok": False, "error": "internal_error"}
            return 200, headers, {"ok": False, "error": fault.error}
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            self._record(method, args, now, ok=False)
            return 200, {}, {"ok": False, "error": "unknown_method"}
        try:
            if method == "apps.connections.open":
                body = self.api_apps_connections_open(header_token)
            else:
                body = handler(args)
        except _SlackError as err:
            self._record(method, args, now, ok=False)
            return 200, {}, {"ok": False, "error": err.error}
        self._record(method, args, now)
        return 200, {}, {"ok": True, **body}

    def _record(self, method: str, args: dict[str, Any], at: float, ok: bool = True) -> None:
        with self.lock:
            self.calls.append(Call(method, args, at, ok))

    def _take_fault(self, method: str, args: dict[str, Any]) -> SlackFault | None:
        with self.lock:
            for fault in self.faults:
                if (
                    fault.times > 0
                    and fault.method == method
                    and (fault.channel is None or fault.channel == args.get("channel"))
                    and (not fault.thread_only or args.get("thread_ts"))
                ):
                    fault.times -= 1
                    return fault
        return None

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ts):06d}"

    def api_apps_connections_open(self, header_token: str | None) -> dict:
        # Only an app-level token, and only in the Authorization header, opens a socket.
        if not header_token:
            raise _SlackError("not_authed")
        if not header_token.startswith("xapp-"):
            raise _SlackError("not_allowed_token_type")
        return {"url": self.socket_mode.issue_url()}

    def api_auth_test(self, args: dict) -> dict:
        return {
            "url": "https://demo.slack.com/",
            "team": "Demo",
            "user": "bitscale",
            "team_id": "T0001",
            "user_id": BOT_USER,
            "bot_id": "B0001",
        }

    def _check_blocks(self, args: dict) -> list[dict]:
        blocks = _json_arg(args.get("blocks")) or []
        if len(blocks) > 50:
            raise _SlackError("invalid_blocks")
        if len(str(args.get("text") or "")) > 40_000:
            raise _SlackError("msg_too_long")
        if not blocks and not args.get("text"):
            raise _SlackError("no_text")
        return blocks

    def api_chat_postMessage(self, args: dict) -> dict:
        channel = str(args.get("channel") or "")
        if not channel:
            raise _SlackError("channel_not_found")
        if channel in self.channel_errors:
            raise _SlackError(self.channel_errors[channel])
        blocks = self._check_blocks(args)
        message = Message(
            channel,
            self._next_ts(),
            str(args.get("text") or ""),
            blocks,
            args.get("thread_ts") or None,
            _json_arg(args.get("metadata")),
        )
        with self.lock:
            if message.thread_ts and not self.message(channel, message.thread_ts):
                raise _SlackError("thread_not_found")
            self.messages.append(message)
        self._emit("message", message)
        return {
            "channel": channel,
            "ts": message.ts,
            "message": {"text": message.text, "ts": message.ts},
        }

    def api_chat_postEphemeral(self, args: dict) -> dict:
        blocks = self._check_blocks(args)
        message = Message(
            str(args.get("channel")),
            self._next_ts(),
            str(args.get("text") or ""),
            blocks,
            ephemeral_for=str(args.get("user")),
        )
        with self.lock:
            self.messages.append(message)
        self._emit("ephemeral", message)
        return {"message_ts": message.ts}

    def api_chat_update(self, args: dict) -> dict:
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        blocks = self._check_blocks(args)
        with self.lock:
            message = self.message(channel, ts)
            if message is None:
                raise _SlackError("message_not_found")
            message.text, message.blocks = str(args.get("text") or ""), blocks
        self._emit("update", message)
        return {"channel": channel, "ts": ts}

    def api_chat_getPermalink(self, args: dict) -> dict:
        channel, ts = str(args.get("channel")), str(args.get("message_ts"))
        return {
            "channel": channel,
            "permalink": f"https://demo.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def api_conversations_open(self, args: dict) -> dict:
        users = str(args.get("users") or "")
        if not users:
            raise _SlackError("users_list_not_supplied")
        return {"channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}

    def api_conversations_replies(self, args: dict) -> dict:
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        with self.lock:
            parent = self.message(channel, ts)
            if parent is None:
                raise _SlackError("thread_not_found")
            replies = [m for m in self.messages if m.channel == channel and m.thread_ts == ts]
        messages = [
            {
                "ts": m.ts,
                "text": m.text,
                "user": m.user,
                "thread_ts": m.thread_ts,
                **({"metadata": m.metadata} if m.metadata else {}),
            }
            for m in [parent, *replies]
        ]
        return {"messages": messages, "has_more": False}

    def _check_view(self, view: Any) -> dict:
        view = _json_arg(view)
        if not isinstance(view, dict):
            raise _SlackError("invalid_arguments")
        title = (view.get("title") or {}).get("text", "")
        if not title or len(title) > 24 or len(view.get("blocks") or []) > 100:
            raise _SlackError("invalid_arguments")
        if len(view.get("private_metadata") or "") > 3000:
            raise _SlackError("invalid_arguments")
        return view

    def api_views_open(self, args: dict) -> dict:
        trigger = str(args.get("trigger_id") or "")
        with self.lock:
            issued = self.triggers.pop(trigger, None)
        if issued is None:
            raise _SlackError("invalid_trigger_id")
        if time.monotonic() - issued > TRIGGER_TTL:
            raise _SlackError("expired_trigger_id")
        view = self._check_view(args.get("view"))
        view_id = f"V{next(self._ids):06d}"
        stored = {**view, "id": view_id, "trigger_id": trigger}
        with self.lock:
            self.views[view_id] = stored
            self.view_log.append(("views.open", view_id, stored))
        self._emit("view", stored)
        return {"view": stored}

    def api_views_update(self, args: dict) -> dict:
        view_id = str(args.get("view_id") or "")
        with self.lock:
            if view_id not in self.views:
                raise _SlackError("not_found")
        view = self._check_view(args.get("view"))
        stored = {**view, "id": view_id}
        with self.lock:
            self.views[view_id] = stored
            self.view_log.append(("views.update", view_id, stored))
        self._emit("view", stored)
        return {"view": stored}

    api_views_push = api_views_open

    def api_views_publish(self, args: dict) -> dict:
        view = _json_arg(args.get("view"))
        if not isinstance(view, dict) or view.get("type") != "home" or not args.get("user_id"):
            raise _SlackError("invalid_arguments")
        if len(view.get("blocks") or []) > 100:
            raise _SlackError("invalid_arguments")
        stored = {**view, "id": f"VH{args['user_id']}"}
        with self.lock:
            self.home_views[str(args["user_id"])] = stored
        self._emit("home", stored)
        return {"view": stored}

    def _running_execution(self, args: dict) -> dict:
        execution = self.function_executions.get(str(args.get("function_execution_id") or ""))
        if execution is None:
            raise _SlackError("function_execution_not_found")
        if execution["state"] != "running":
            raise _SlackError("execution_not_in_running_state")
        return execution

    def api_functions_completeSuccess(self, args: dict) -> dict:
        outputs = _json_arg(args.get("outputs"))
        with self.lock:
            execution = self._running_execution(args)
            declared = execution["output_parameters"]
            required = {n for n, p in declared.items() if p.get("is_required")}
            if (
                not isinstance(outputs, dict)
                or not required <= set(outputs)
                or not set(outputs) <= set(declared)
                or not all(isinstance(v, str) for v in outputs.values())
            ):
                raise _SlackError("parameter_validation_failed")
            execution.update(state="completed", outputs=outputs)
        self._emit("function", execution)
        return {}

    def api_functions_completeError(self, args: dict) -> dict:
        error = str(args.get("error") or "")
        with self.lock:
            execution = self._running_execution(args)
            if not error:
                raise _SlackError("invalid_arguments")
            execution.update(state="failed", error=error)
        self._emit("function", execution)
        return {}

    def add_user(self, user_id: str, *, admin: bool = False, owner: bool = False) -> None:
        with self.lock:
            self.users[user_id] = _user(user_id, admin=admin, owner=owner)

    def add_usergroup(self, group_id: str, handle: str, users: list[str]) -> None:
        with self.lock:
            self.usergroups[group_id] = {"id": group_id, "handle": handle, "name": handle,
                                         "users": list(users)}

    def api_users_info(self, args: dict) -> dict:
        user_id = str(args.get("user") or "")
        with self.lock:
            known = self.users.get(user_id)
        if known is None and not user_id[:1] in ("U", "W"):
            raise _SlackError("user_not_found")
        return {"user": known or _user(user_id)}

    def api_users_list(self, args: dict) -> dict:
        with self.lock:
            members = list(self.users.values())
        return {"members": members, "response_metadata": {"next_cursor": ""}}

    def api_usergroups_list(self, args: dict) -> dict:
        with self.lock:
            groups = [{k: v for k, v in g.items() if k != "users"} for g in self.usergroups.values()]
        return {"usergroups": groups}

    def api_usergroups_users_list(self, args: dict) -> dict:
        group_id = str(args.get("usergroup") or "")
        with self.lock:
            group = self.usergroups.get(group_id)
        if group is None:
            raise _SlackError("no_such_subteam")
        return {"users": list(group["users"])}

    def api_files_getUploadURLExternal(self, args: dict) -> dict:
        file_id = f"F{next(self._ids):06d}"
        with self.lock:
            self.files[file_id] = {
                "id": file_id,
                "filename": args.get("filename"),
                "length": int(args.get("length") or 0),
                "content": b"",
            }
        return {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def api_files_completeUploadExternal(self, args: dict) -> dict:
        entries = _json_arg(args.get("files")) or []
        channel, thread = args.get("channel_id"), args.get("thread_ts")
        done = []
        with self.lock:
            for entry in entries:
                record = self.files.get(entry.get("id"))
                if record is None:
                    raise _SlackError("file_not_found")
                record.update(title=entry.get("title"), channel=channel, thread_ts=thread)
                done.append(
                    {
                        "id": record["id"],
                        "title": record.get("title"),
                        "name": record.get("filename"),
                    }
                )
                if channel and thread:
                    parent = self.message(channel, thread)
                    if parent is not None:
                        parent.files.append(record)
        for record in done:
            self._emit("file", self.files[record["id"]])
        return {"files": done}

    def add_file(
        self,
        content: bytes,
        name: str = "leads.csv",
        *,
        filetype: str = "csv",
        shared: bool = True,
        mimetype: str = "text/csv",
    ) -> dict:
        """A file as if a person had uploaded it (to a form or a message); returns the file
        object Slack puts in `file_input` state. Unshared files are invisible to the bot, as
        in Slack: files.info says file_not_found and the download shows the sign-in page."""
        file_id = f"F{next(self._ids):06d}"
        url = f"{self.base}/files-pri/T0001-{file_id}/{name}"
        record = {
            "id": file_id,
            "name": name,
            "title": name,
            "filetype": filetype,
            "mimetype": mimetype,
            "pretty_type": filetype.upper(),
            "size": len(content),
            "url_private": url,
            "url_private_download": url + "?download=1",
            "shared": shared,
            "content": content,
            "user_upload": True,
        }
        with self.lock:
            self.files[file_id] = record
        return {k: v for k, v in record.items() if k not in ("content", "shared", "user_upload")}

    def api_files_info(self, args: dict) -> dict:
        with self.lock:
            record = self.files.get(str(args.get("file") or ""))
        if record is None or not record.get("user_upload") or not record.get("shared"):
            raise _SlackError("file_not_found")
        return {
            "file": {
                k: v for k, v in record.items() if k not in ("content", "shared", "user_upload")
            }
        }

    def download(self, path: str, authorization: str | None) -> tuple[int, bytes, str]:
        """GET of a url_private: the bytes with the bot token, else Slack's sign-in page."""
        parts = path.split("/")
        file_id = parts[2].split("-", 1)[-1] if len(parts) > 2 else ""
        with self.lock:
            record = self.files.get(file_id)
            self.calls.append(Call("files.download", {"file": file_id}, time.monotonic()))
        authorised = authorization == f"Bearer {self.token}"
        if record is None or not record.get("shared") or not authorised:
            page = b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>"
            return 200, page, "text/html; charset=utf-8"
        return 200, record["content"], record.get("mimetype") or "application/octet-stream"

    def upload(self, file_id: str, content: bytes) -> int:
        with self.lock:
            if file_id not in self.files:
                return 404
            self.files[file_id]["content"] = content
        return 200

    def respond(self, token: str, payload: dict) -> None:
        with self.lock:
            self.responses.append({"token": token, **payload})
        self._emit("response", payload)


def _user(user_id: str, *, admin: bool = False, owner: bool = False) -> dict[str, Any]:
    """The fields of users.info that the bot reads, as Slack documents them."""
    return {
        "id": user_id,
        "name": user_id.lower(),
        "deleted": False,
        "is_bot": False,
        "is_admin": admin or owner,
        "is_owner": owner,
        "profile": {"real_name": user_id, "display_name": user_id.lower()},
    }


def is_run_form(view: dict) -> bool:
    return view.get("callback_id") == "run_view"


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Return the condition's first truthy value; raise if it never comes."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)


class _SlackError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _json_arg(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


class _Handler(QuietHandler):
    standin: SlackStandIn
    label = "slack stand-in"

    def do_POST(self) -> None:
        raw = self.read_body()
        path = urlsplit(self.path).path
        if path.startswith("/api/"):
            args = self._args(raw)
            auth = self.headers.get("Authorization", "")
            token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
            status, headers, body = self.standin.handle_api(path[len("/api/") :], args, token)
            self.reply(
                status, json.dumps(body).encode(), headers, "application/json; charset=utf-8"
            )
        elif path.startswith("/respond/"):
            payload = _json_arg(raw.decode() or "{}") or {}
            self.standin.respond(path.rsplit("/", 1)[-1], payload)
            self.reply(200, b"ok", content_type="text/plain")
        elif path.startswith("/upload/"):
            status = self.standin.upload(path.rsplit("/", 1)[-1], raw)
            self.reply(status, b"OK", content_type="text/plain")
        else:
            self.reply(404, b"not found", content_type="text/plain")

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/files-pri/"):
            status, body, kind = self.standin.download(path, self.headers.get("Authorization"))
            self.reply(status, body, content_type=kind)
        else:
            self.reply(404, b"not found", content_type="text/plain")

    def _args(self, raw: bytes) -> dict[str, Any]:
        kind = self.headers.get("Content-Type", "")
        if "application/json" in kind:
            data = _json_arg(raw.decode() or "{}")
            return data if isinstance(data, dict) else {}
        query = urlsplit(self.path).query
        text = raw.decode(errors="replace") + ("&" + query if query else "")
        return {k: v[-1] for k, v in parse_qs(text).items()}
