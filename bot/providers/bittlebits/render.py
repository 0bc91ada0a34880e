"""A finished page score or rewrite as a neutral ResultView (the Slack layer escapes it)."""

from __future__ import annotations

from typing import Any

from bot.providers.base import ResultItem, ResultView

TOP_SUGGESTIONS = 5  # shown in the thread; the attached file has every one
LOW_SCORE = 5.0  # metrics under this are called out as weak
# Names people read; any other metric key is made readable from its snake_case.
METRIC_NAMES = {
    "citation_readiness": "Citation readiness",
    "content_depth": "Content depth",
    "entity_clarity": "Entity clarity",
}


def metric_name(key: str) -> str:
    if key in METRIC_NAMES:
        return METRIC_NAMES[key]
    words = " ".join(key.replace("-", "_").split("_")).split()
    text = " ".join(words) or key
    return text[:1].upper() + text[1:]


def bar(score: float) -> str:
    """Ten steps, one per point: 7.4 → ███████░░░."""
    filled = max(0, min(10, round(score)))
    return "█" * filled + "░" * (10 - filled)


def score_view(outputs: dict[str, Any]) -> ResultView:
    metrics = {
        str(k): float(v)
        for k, v in (outputs.get("metrics") or {}).items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }
    if not metrics:
        return ResultView(empty="Bittlebits returned no metrics for this page.")
    ranked = sorted(metrics.items(), key=lambda kv: kv[1])
    overall = sum(metrics.values()) / len(metrics)
    weakest = [kv for kv in ranked if kv[1] < LOW_SCORE] or ranked[:2]
    summary = [
        f"Overall {overall:.1f}/10  {bar(overall)}  across {len(metrics)} metrics.",
        "Weakest: "
        + ", ".join(f"{metric_name(k)} ({v:.1f})" for k, v in weakest[:3])
        + ". Start there.",
    ]
    items = [
        ResultItem(metric_name(key), f"{value:.1f}/10  {bar(value)}")
        for key, value in sorted(metrics.items(), key=lambda kv: -kv[1])
    ]
    return ResultView(items=items, summary=summary, notes=["Each metric is scored 0–10."])


def rewrite_view(outputs: dict[str, Any], title: str) -> ResultView:
    suggestions = [s for s in outputs.get("suggestions") or [] if isinstance(s, dict)]
    if not suggestions:
        return ResultView(empty="Bittlebits has no rewrite suggestions for this page.")
    top = suggestions[:TOP_SUGGESTIONS]
    summary = [
        f"{len(suggestions)} suggestion{'s' if len(suggestions) != 1 else ''} for this page."
        + (
            f" The top {len(top)} are below; the attached file has all of them."
            if len(suggestions) > len(top)
            else " The attached file has them as text too."
        )
    ]
    items = [
        ResultItem(f"{i}. {s.get('stable_id') or 'Suggestion'}", _change(s))
        for i, s in enumerate(top, start=1)
    ]
    return ResultView(
        items=items,
        summary=summary,
        attachment=rewrite_file(suggestions, title),
        attachment_title="all rewrite suggestions",
    )


def _change(s: dict[str, Any]) -> str:
    suggested = str(s.get("suggested_text") or "")
    if s.get("is_addition") or not s.get("current_text"):
        change = f"Add: “{suggested}”"
    else:
        change = f"“{s.get('current_text')}” → “{suggested}”"
    why = s.get("rationale")
    return f"{change}\nWhy: {why}" if why else change


def rewrite_file(suggestions: list[dict[str, Any]], title: str) -> str:
    lines = [f"{title} — {len(suggestions)} rewrite suggestions", ""]
    for i, s in enumerate(suggestions, start=1):
        lines.append(f"## {i}. {s.get('stable_id') or 'Suggestion'}")
        if s.get("is_addition") or not s.get("current_text"):
            lines.append("Add (new text):")
        else:
            lines += ["Current:", str(s.get("current_text"))]
        lines += ["Suggested:", str(s.get("suggested_text") or ""), ""]
        if s.get("rationale"):
            lines += ["Why:", str(s["rationale"]), ""]
    return "\n".join(lines)
