"""Who is a workspace admin and who is in a user group, asked of Slack and cached briefly.

Implements policy.Directory: `users.info` (is_admin / is_owner, scope users:read),
`users.list` for the list of workspace admins, and `usergroups.users.list` (scope
usergroups:read). Answers are kept for a few minutes; a Slack error counts as "no", so a
hiccup never grants anything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

TTL_SECONDS = 300.0


@dataclass(frozen=True)
class Person:
    user_id: str
    tz: str = "UTC"  # an IANA zone name, as users.info gives it
    locale: str = "en-US"


class SlackDirectory:
    def __init__(
        self,
        client: WebClient,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def _cached(self, key: str, load: Callable[[], Any], fallback: Any) -> Any:
        now = self.clock()
        with self._lock:
            hit = self._cache.get(key)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        try:
            value = load()
        except SlackApiError as exc:
            log.warning("Slack lookup %s failed: %s", key.split(":")[0], exc.response.get("error"))
            return fallback
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def is_workspace_admin(self, user_id: str) -> bool:
        def load() -> bool:
            user = self.client.users_info(user=user_id).get("user") or {}
            return bool(user.get("is_admin") or user.get("is_owner"))

        return bool(self._cached(f"user:{user_id}", load, False))

    def _members(self) -> list[dict[str, Any]]:
        """Everyone in the workspace but bots and deactivated accounts (users.list)."""

        def load() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            cursor = None
            for _ in range(20):  # at most 20 pages of 200 people
                page = self.client.users_list(limit=200, cursor=cursor)
                found += [
                    u for u in page.get("members") or []
                    if not (u.get("deleted") or u.get("is_bot"))
                ]
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
            return found

        return list(self._cached("members", load, []))

    def workspace_admins(self) -> list[str]:
        return [u["id"] for u in self._members() if u.get("is_admin") or u.get("is_owner")]

    def user_named(self, name: str) -> str | None:
        """The id of the person people call `@name`: their handle (users.list `name`), else
        their display name, else their full name, case ignored. None when nobody, or more
        than one person, goes by it."""
        wanted = name.strip().lstrip("@").casefold()
        if not wanted:
            return None
        members = self._members()
        for field in ("name", "display_name", "real_name"):
            found = {
                u["id"]
                for u in members
                if str(u.get(field) or (u.get("profile") or {}).get(field) or "").casefold()
                == wanted
            }
            if len(found) == 1:
                return found.pop()
            if found:
                return None  # two people answer to it: never guess whose log to show
        return None

    def person(self, user_id: str) -> Person:
        """Their Slack time zone and locale (users.info with include_locale); UTC and
        en-US when Slack does not say or cannot be asked."""

        def load() -> Person:
            user = self.client.users_info(user=user_id, include_locale=True).get("user") or {}
            return Person(user_id, user.get("tz") or "UTC", user.get("locale") or "en-US")

        return self._cached(f"person:{user_id}", load, Person(user_id))

    def group_members(self, group_id: str) -> set[str]:
        def load() -> set[str]:
            return set(self.client.usergroups_users_list(usergroup=group_id).get("users") or [])

        return set(self._cached(f"group:{group_id}", load, set()))

    def groups(self) -> list[dict[str, str]]:
        """User groups for the admin form's picker: id, handle and name."""

        def load() -> list[dict[str, str]]:
            groups = self.client.usergroups_list().get("usergroups") or []
            return [
                {"id": g["id"], "handle": g.get("handle", ""), "name": g.get("name", "")}
                for g in groups
                if not g.get("date_delete")
            ]

        return list(self._cached("groups", load, []))

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()
