"""The Slack stand-in's people: users.* and usergroups.*. Anyone whose id looks like a
user id (U…/W…) is a plain member unless added here."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.playground.slack.records import SlackError
from bot.playground.slack.state import SlackState


class PeopleApi(SlackState):
    def add_user(
        self,
        user_id: str,
        *,
        admin: bool = False,
        owner: bool = False,
        tz: str = "America/Los_Angeles",
        locale: str = "en-US",
        name: str | None = None,
    ) -> None:
        """`name` is the handle people type after @ (Slack's `name`, and the display name)."""
        with self.lock:
            self.users[user_id] = slack_user(
                user_id, admin=admin, owner=owner, tz=tz, locale=locale
            )
            if name:
                self.users[user_id]["name"] = name
                self.users[user_id]["profile"]["display_name"] = name

    def add_usergroup(self, group_id: str, handle: str, users: list[str]) -> None:
        with self.lock:
            self.usergroups[group_id] = {
                "id": group_id,
                "handle": handle,
                "name": handle,
                "users": list(users),
            }

    def api_users_info(self, args: dict) -> dict:
        user_id = str(args.get("user") or "")
        with self.lock:
            known = self.users.get(user_id)
        if known is None and user_id[:1] not in ("U", "W"):
            raise SlackError("user_not_found")
        user = dict(known or slack_user(user_id))
        # As in Slack: the locale only when asked for with include_locale.
        if str(args.get("include_locale")).lower() not in ("true", "1"):
            user.pop("locale", None)
        return {"user": user}

    def api_users_list(self, args: dict) -> dict:
        with self.lock:
            members = list(self.users.values())
        return {"members": members, "response_metadata": {"next_cursor": ""}}

    def api_usergroups_list(self, args: dict) -> dict:
        with self.lock:
            groups = [
                {k: v for k, v in g.items() if k != "users"} for g in self.usergroups.values()
            ]
        return {"usergroups": groups}

    def api_usergroups_users_list(self, args: dict) -> dict:
        group_id = str(args.get("usergroup") or "")
        with self.lock:
            group = self.usergroups.get(group_id)
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}


def slack_user(
    user_id: str,
    *,
    admin: bool = False,
    owner: bool = False,
    tz: str = "America/Los_Angeles",
    locale: str = "en-US",
) -> dict[str, Any]:
    """The fields of users.info that the bot reads, as Slack documents them (Slack's own
    default zone for a new member is Pacific time)."""
    zone = ZoneInfo(tz)
    now = datetime.now(zone)
    return {
        "id": user_id,
        "name": user_id.lower(),
        "deleted": False,
        "is_bot": False,
        "is_admin": admin or owner,
        "is_owner": owner,
        "profile": {"real_name": user_id, "display_name": user_id.lower()},
        "tz": tz,
        "tz_label": now.tzname() or tz,
        "tz_offset": int(now.utcoffset().total_seconds()) if now.utcoffset() else 0,
        "locale": locale,
    }
