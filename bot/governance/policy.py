"""Who may spend credits: the one place every entry point asks.

    policy.is_admin(user_id)                      -> bool
    policy.admins()                               -> list of user ids (named + workspace)
    policy.can_run_grid(user_id, grid_id)         -> bool (grid access only; for hiding buttons)
    policy.check_run(user_id, grid_id, rows, entry=...) -> Decision(allowed, sentence, reason)
    policy.needs_approval(rows)                   -> bool (batches above the threshold)
    policy.settings                               -> StoredSettings (get/set, audited)

`check_run` covers grid access, then the per-person and workspace rows-per-day budgets,
and records every refusal in the audit log. The run service also asks it (through `gate`)
right before a run is recorded, so an entry point that forgets cannot spend credits.

No Slack in here: who is a workspace admin and who is in a user group come from a
`Directory` the Slack side provides (users.info, usergroups.users.list). The data it
decides with (GridAccess, Decision, Directory, WORKFLOW_USER) is in access.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from bot.governance.access import (
    ADMINS_HOWTO,
    ALLOWED,
    WORKFLOW_USER,
    Decision,
    Directory,
    GridAccess,
    NoDirectory,
)
from bot.governance.audit import AuditLog
from bot.governance.stored_settings import StoredSettings
from bot.governance.usage import Usage, resets_in

PERSON_BUDGET = "budget.person_rows_per_day"
WORKSPACE_BUDGET = "budget.workspace_rows_per_day"
WORKFLOW_BUDGET = "budget.workflow_rows_per_day"  # all Workflow Builder steps together
APPROVAL_THRESHOLD = "approval.rows_over"
DEFAULT_APPROVAL_THRESHOLD = 1000
ALERT_CHANNEL = "alerts.channel"
ALERT_THRESHOLD = "alerts.threshold"
ALERT_FORECAST = "alerts.forecast"  # also alert when the forecast runs out before renewal
GRID_ACCESS = "grid_access:"  # + grid id
REUSE_DAYS = "reuse.days:"  # + grid id: that grid's result-reuse window (reuse.py)


@dataclass
class Policy:
    settings: StoredSettings
    audit: AuditLog
    usage: Usage
    named_admins: tuple[str, ...] = ()  # BITSCALE_BOT_ADMINS
    directory: Directory = field(default_factory=NoDirectory)
    clock: Callable[[], float] = time.time
    # How a person is named in a sentence (Slack's mention syntax by default).
    mention: Callable[[str], str] = lambda user: f"<@{user}>"
    # How a grid name from the provider is made safe in a sentence (Slack escaping).
    quote: Callable[[str], str] = lambda text: text
    # CREDIT_ALERT_CHANNEL / CREDIT_ALERT_THRESHOLD: the defaults admins may override.
    default_alert_channel: str | None = None
    default_alert_threshold: int = 1000
    # Budget checks and the insert that follows them hold this, so two runs at once
    # cannot both take the last row of a budget.
    admission_lock: AbstractContextManager = field(default_factory=threading.Lock)

    # --- admins ------------------------------------------------------------------------

    def is_admin(self, user_id: str) -> bool:
        if not user_id:
            return False
        return user_id in self.named_admins or self.directory.is_workspace_admin(user_id)

    def admins(self) -> list[str]:
        """Named admins first, then Slack workspace owners and admins."""
        seen = list(dict.fromkeys(self.named_admins))
        try:
            extra = self.directory.workspace_admins()
        except Exception:  # noqa: BLE001 - a Slack hiccup must not hide the named ones
            extra = []
        return seen + [u for u in extra if u not in seen]

    def who_to_ask(self) -> str:
        admins = self.admins()
        if not admins:
            return "No bot admins are named yet: ask whoever installed the bot to " + ADMINS_HOWTO
        return f"Ask {self.mention(admins[0])} if you need it."

    # --- grid access ---------------------------------------------------------------------

    def grid_access(self, grid_id: str) -> GridAccess:
        return GridAccess.from_json(self.settings.get(GRID_ACCESS + grid_id))

    def set_grid_access(self, grid_id: str, access: GridAccess, *, actor: str) -> bool:
        return self.settings.set(GRID_ACCESS + grid_id, access.to_json(), actor=actor)

    def restricted_grids(self) -> dict[str, GridAccess]:
        return {
            key[len(GRID_ACCESS) :]: GridAccess.from_json(value)
            for key, value in self.settings.all(GRID_ACCESS).items()
        }

    def can_run_grid(self, user_id: str, grid_id: str) -> bool:
        access = self.grid_access(grid_id)
        if access.mode == "everyone":
            return True
        if access.mode == "nobody":
            return False
        if user_id in access.users:
            return True
        return any(user_id in self.directory.group_members(g) for g in access.groups)

    def runnable(self, user_id: str, grid_ids: Iterable[str]) -> set[str]:
        """The subset of `grid_ids` this person may run (one settings read)."""
        restricted = self.restricted_grids()
        return {g for g in grid_ids if g not in restricted or self.can_run_grid(user_id, g)}

    def reuse_days(self, grid_id: str) -> float | None:
        """A grid's own result-reuse window in days; None = RESULT_REUSE_DAYS."""
        return self.settings.get(REUSE_DAYS + grid_id)

    # --- budgets and approvals -------------------------------------------------------------

    def person_budget(self) -> int | None:
        return self.settings.get(PERSON_BUDGET)

    def workspace_budget(self) -> int | None:
        return self.settings.get(WORKSPACE_BUDGET)

    def workflow_budget(self) -> int | None:
        """Rows a day for all workflows together; None = the per-person budget applies."""
        return self.settings.get(WORKFLOW_BUDGET)

    def approval_threshold(self) -> int:
        return int(self.settings.get(APPROVAL_THRESHOLD, DEFAULT_APPROVAL_THRESHOLD))

    def needs_approval(self, rows: int) -> bool:
        return rows > self.approval_threshold()

    def alert_channel(self) -> str | None:
        """Where credit alerts and approval requests go ("" stored = none)."""
        return self.settings.get(ALERT_CHANNEL, self.default_alert_channel) or None

    def alert_threshold(self) -> int:
        return int(self.settings.get(ALERT_THRESHOLD, self.default_alert_threshold))

    def forecast_alerts(self) -> bool:
        """Admins turned on "alert when the forecast runs out before renewal"."""
        return bool(self.settings.get(ALERT_FORECAST, False))

    def check_run(
        self,
        user_id: str,
        grid_id: str,
        rows: int = 1,
        *,
        entry: str,
        grid_name: str | None = None,
        budget: bool = True,
        record: bool = True,
        except_batch: str | None = None,
        to_admin: bool = False,
    ) -> Decision:
        """May `user_id` run `rows` rows of `grid_id` now? Refusals are audited. Budgets
        count the rows of recorded batches not yet run (`except_batch` aside: the one
        being approved). `to_admin`: the sentence names the person instead of "you"."""
        decision = self._decide(user_id, grid_id, rows, grid_name, budget, except_batch, to_admin)
        if not decision.allowed and record:
            self.audit.record(
                user_id,
                "refused",
                grid_id=grid_id,
                grid_name=grid_name,
                rows=rows,
                entry=entry,
                outcome=decision.reason,
                why=decision.sentence,
            )
        return decision

    def _decide(
        self,
        user_id: str,
        grid_id: str,
        rows: int,
        grid_name: str | None,
        budget: bool,
        except_batch: str | None = None,
        to_admin: bool = False,
    ) -> Decision:
        what = f"*{self.quote(grid_name)}*" if grid_name else "this grid"
        if not self.can_run_grid(user_id, grid_id) and user_id == WORKFLOW_USER:
            return Decision(
                False,
                f"Workflows don't have access to run {what}. An admin can allow them in "
                "`/bitscale admin` → Grid access (tick *Workflows may run it*).",
                "grid_access",
            )
        if not self.can_run_grid(user_id, grid_id):
            if to_admin:
                said = f"{self.mention(user_id)} doesn't have access to run {what} any more."
            else:
                said = f"You don't have access to run {what}. {self.who_to_ask()}"
            return Decision(False, said, "grid_access")
        if not budget:
            return ALLOWED
        now = self.clock()
        resets = f"Budgets reset at 00:00 UTC ({resets_in(now)})."
        ask = "" if to_admin else f" {self.who_to_ask()}"
        workflow = user_id == WORKFLOW_USER
        person = self.person_budget()
        if workflow and self.workflow_budget() is not None:
            person = self.workflow_budget()
        if person is not None:
            used = self.usage.rows_committed(user_id, except_batch=except_batch)
            left = max(0, person - used)
            if rows > left:
                whose = "workflows have" if workflow else "you have"
                if to_admin and not workflow:
                    whose = f"{self.mention(user_id)} has"
                their = "their" if workflow or to_admin else "your"
                return Decision(
                    False,
                    f"That would be {_rows(rows)}, and {whose} {left:,} of {their} "
                    f"{_rows(person)} a day left. {resets}{ask}",
                    "person_budget",
                )
        workspace = self.workspace_budget()
        if workspace is not None:
            left = max(0, workspace - self.usage.rows_committed(except_batch=except_batch))
            if rows > left:
                return Decision(
                    False,
                    f"That would be {_rows(rows)}, and the workspace has {left:,} of its "
                    f"{_rows(workspace)} a day left. {resets}{ask}",
                    "workspace_budget",
                )
        return ALLOWED

    # --- the run service's gate (see runs.RunService) ------------------------------------

    def admit(self, request: Any, *, spend: bool) -> str | None:
        """None when the run may go ahead, else the sentence for the requester. Runs that
        belong to a batch were admitted with their batch, so only access is checked."""
        batch = getattr(request, "source", "") == "batch"
        decision = self.check_run(
            request.user_id,
            request.grid_id,
            1,
            entry=getattr(request, "source", "") or "form",
            grid_name=request.grid_name,
            budget=spend and not batch,
        )
        return None if decision.allowed else decision.sentence

    def started(self, run: Any) -> None:
        """Record a run that was just accepted."""
        if getattr(run, "source", "") == "batch":
            return  # the batch has one entry of its own
        self.audit.record(
            run.user_id,
            "run",
            grid_id=run.grid_id,
            grid_name=run.grid_name,
            run_id=run.id,
            channel_id=run.channel_id,
            rows=1,
            entry=run.source or "form",
            outcome="reused" if run.state == "reused" else None,
        )


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"
