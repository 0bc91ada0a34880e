"""The Slack stand-in's modal, Home tab and workflow-step methods: views.*,
functions.*. Triggers expire, titles and block counts are limited as in Slack."""

from __future__ import annotations

import time
from typing import Any

from bot.playground.slack.images import check_images
from bot.playground.slack.records import TRIGGER_TTL, SlackError, json_arg
from bot.playground.slack.state import SlackState


class ViewsApi(SlackState):
    def begin_function(self, execution_id: str, output_parameters: dict[str, dict]) -> None:
        """A workflow reached a custom step: Slack now waits for it to complete or fail."""
        with self.lock:
            self.function_executions[execution_id] = {
                "state": "running",
                "outputs": None,
                "error": None,
                "output_parameters": output_parameters,
            }

    def _check_view(self, view: Any) -> dict:
        view = json_arg(view)
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        title = (view.get("title") or {}).get("text", "")
        if not title or len(title) > 24 or len(view.get("blocks") or []) > 100:
            raise SlackError("invalid_arguments")
        if len(view.get("private_metadata") or "") > 3000:
            raise SlackError("invalid_arguments")
        with self.lock:
            check_images(view.get("blocks"), self.files)
        return view

    def api_views_open(self, args: dict) -> dict:
        trigger = str(args.get("trigger_id") or "")
        with self.lock:
            issued = self.triggers.pop(trigger, None)
        if issued is None:
            raise SlackError("invalid_trigger_id")
        if time.monotonic() - issued > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
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
                raise SlackError("not_found")
        view = self._check_view(args.get("view"))
        stored = {**view, "id": view_id}
        with self.lock:
            self.views[view_id] = stored
            self.view_log.append(("views.update", view_id, stored))
        self._emit("view", stored)
        return {"view": stored}

    api_views_push = api_views_open

    def api_views_publish(self, args: dict) -> dict:
        view = json_arg(args.get("view"))
        if not isinstance(view, dict) or view.get("type") != "home" or not args.get("user_id"):
            raise SlackError("invalid_arguments")
        if len(view.get("blocks") or []) > 100:
            raise SlackError("invalid_arguments")
        with self.lock:
            check_images(view.get("blocks"), self.files)
        stored = {**view, "id": f"VH{args['user_id']}"}
        with self.lock:
            self.home_views[str(args["user_id"])] = stored
        self._emit("home", stored)
        return {"view": stored}

    def _running_execution(self, args: dict) -> dict:
        execution = self.function_executions.get(str(args.get("function_execution_id") or ""))
        if execution is None:
            raise SlackError("function_execution_not_found")
        if execution["state"] != "running":
            raise SlackError("execution_not_in_running_state")
        return execution

    def api_functions_completeSuccess(self, args: dict) -> dict:
        outputs = json_arg(args.get("outputs"))
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
                raise SlackError("parameter_validation_failed")
            execution.update(state="completed", outputs=outputs)
        self._emit("function", execution)
        return {}

    def api_functions_completeError(self, args: dict) -> dict:
        error = str(args.get("error") or "")
        with self.lock:
            execution = self._running_execution(args)
            if not error:
                raise SlackError("invalid_arguments")
            execution.update(state="failed", error=error)
        self._emit("function", execution)
        return {}

