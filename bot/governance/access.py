"""Who may run what, as data: a grid's access (GridAccess), the Decision a check returns,
the identity Workflow Builder steps run as, and the Directory of people the Slack side
provides (workspace admins, user groups). policy.py decides with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

AccessMode = Literal["everyone", "chosen", "nobody"]

# Who a Workflow Builder step runs as. A step's inputs are typed by whoever built the
# workflow, so no input may choose whose access or budget applies: every step runs as
# this one identity, under the grid access and the budget an admin gives workflows.
WORKFLOW_USER = "workflow"
ADMINS_HOWTO = (
    "set BITSCALE_BOT_ADMINS to a comma-separated list of Slack user ids "
    "(for example U012ABCDEF) and restart the bot; Slack workspace owners and admins "
    "count as admins too"
)


class Directory(Protocol):
    """What the policy needs to know about people, from Slack."""

    def is_workspace_admin(self, user_id: str) -> bool: ...

    def workspace_admins(self) -> list[str]: ...

    def group_members(self, group_id: str) -> set[str]: ...


class NoDirectory:
    """No workspace lookups: only BITSCALE_BOT_ADMINS are admins; groups are empty."""

    def is_workspace_admin(self, user_id: str) -> bool:
        return False

    def workspace_admins(self) -> list[str]:
        return []

    def group_members(self, group_id: str) -> set[str]:
        return set()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    sentence: str = ""  # for the person, when refused: what happened and what to do
    reason: str = ""  # "grid_access" | "person_budget" | "workspace_budget" | ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


@dataclass(frozen=True)
class GridAccess:
    mode: AccessMode = "everyone"
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any] | None:
        if self.mode == "everyone":
            return None  # the default: nothing stored
        return {"mode": self.mode, "users": list(self.users), "groups": list(self.groups)}

    @classmethod
    def from_json(cls, data: Any) -> GridAccess:
        if not isinstance(data, dict) or data.get("mode") not in ("chosen", "nobody"):
            return cls()
        return cls(data["mode"], tuple(data.get("users") or ()), tuple(data.get("groups") or ()))
