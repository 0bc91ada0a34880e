"""The Slack stand-in's messaging methods: auth.test, chat.*, conversations.*; Slack's
limits on blocks and text are checked as Slack checks them."""

from __future__ import annotations

from bot.playground.slack.images import check_images
from bot.playground.slack.records import BOT_USER, Message, SlackError, json_arg
from bot.playground.slack.state import SlackState


class ChatApi(SlackState):
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
        blocks = json_arg(args.get("blocks")) or []
        if len(blocks) > 50:
            raise SlackError("invalid_blocks")
        if len(str(args.get("text") or "")) > 40_000:
            raise SlackError("msg_too_long")
        if not blocks and not args.get("text"):
            raise SlackError("no_text")
        with self.lock:
            check_images(blocks, self.files)
        return blocks

    def api_chat_postMessage(self, args: dict) -> dict:
        channel = str(args.get("channel") or "")
        if not channel:
            raise SlackError("channel_not_found")
        if channel in self.channel_errors:
            raise SlackError(self.channel_errors[channel])
        blocks = self._check_blocks(args)
        message = Message(
            channel,
            self._next_ts(),
            str(args.get("text") or ""),
            blocks,
            args.get("thread_ts") or None,
            json_arg(args.get("metadata")),
        )
        with self.lock:
            if message.thread_ts and not self.message(channel, message.thread_ts):
                raise SlackError("thread_not_found")
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
                raise SlackError("message_not_found")
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
            raise SlackError("users_list_not_supplied")
        return {"channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}

    def api_conversations_replies(self, args: dict) -> dict:
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        with self.lock:
            parent = self.message(channel, ts)
            if parent is None:
                raise SlackError("thread_not_found")
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

