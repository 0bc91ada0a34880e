"""The simulator's demo workspace: believable grids whose outputs follow from their inputs
(a grid itself, SimGrid, is in sim_grid.py).

Outputs are derived deterministically from the inputs (a hash picks industries, sizes…),
so a test can tell that each input arrived under the right key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from bot.playground.simulators.sim_grid import SimColumn, SimGrid


def _pick(seed: str, options: list[Any]) -> Any:
    digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return options[digest % len(options)]


def _number(seed: str, low: int, high: int) -> int:
    digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return low + digest % (high - low + 1)


def _company(inputs: dict[str, Any]) -> dict[str, Any]:
    name = str(inputs.get("company_name", ""))
    site = str(inputs.get("website", ""))
    industry = _pick(name, ["Software", "Fintech", "Healthcare", "Logistics", "Retail", "Energy"])
    employees = _number(name, 12, 48000)
    paragraph = (
        f"{name} ({site}) is a {industry.lower()} company with about {employees} employees. "
        "It sells mostly to mid-market and enterprise buyers, hires steadily in sales and "
        "engineering, and has expanded into two new regions in the last year. "
    )
    return {
        "industry": industry,
        "employee_count": employees,
        "tech_stack": sorted(
            {
                _pick(
                    name + s,
                    [
                        "Salesforce",
                        "HubSpot",
                        "Snowflake",
                        "AWS",
                        "GCP",
                        "Segment",
                        "Stripe",
                        "Zendesk",
                    ],
                )
                for s in "abcd"
            }
        ),
        "headquarters": {
            "city": _pick(site, ["Berlin", "Austin", "London", "Bangalore", "Toronto", "Sydney"]),
            "country": _pick(site + "c", ["DE", "US", "GB", "IN", "CA", "AU"]),
        },
        "ai_summary": paragraph * 14,  # long enough to need truncation in Slack
    }


def _person(inputs: dict[str, Any]) -> dict[str, Any]:
    full = str(inputs.get("full_name", "")).strip()
    domain = str(inputs.get("company_domain", "")).strip()
    slug = ".".join(full.lower().split()) or "someone"
    return {
        "work_email": f"{slug}@{domain}" if domain else None,
        "job_title": _pick(full, ["VP Sales", "Head of RevOps", "CTO", "Account Executive"]),
        "linkedin_url": f"https://www.linkedin.com/in/{slug.replace('.', '-')}",
        "seniority": _pick(full + "s", ["Director", "VP", "C-level", "Manager"]),
    }


def _research(inputs: dict[str, Any]) -> dict[str, Any]:
    topic = str(inputs.get("topic", ""))
    return {
        "research_notes": f"Deep research on {topic}: three buying signals found.",
        "sources_found": _number(topic, 3, 40),
    }


def _scoring(inputs: dict[str, Any]) -> dict[str, Any]:
    filled = sum(1 for v in inputs.values() if str(v).strip())
    score = _number("|".join(f"{k}={inputs[k]}" for k in sorted(inputs)), 0, 60) + filled * 3
    return {
        "fit_score": min(score, 100),
        "tier": "A" if score >= 70 else "B" if score >= 40 else "C",
        "inputs_seen": {k: inputs[k] for k in sorted(inputs)},
    }


def _timed(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "echo": str(inputs.get("company_name", "")),
        "waited_seconds": inputs.get("duration_seconds"),
    }


def _domain(inputs: dict[str, Any]) -> dict[str, Any]:
    name = str(inputs.get("company_name", ""))
    return {"domain": name.lower().replace(" ", "") + ".com"}


def _simple(label: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def compute(inputs: dict[str, Any]) -> dict[str, Any]:
        seed = "|".join(str(v) for v in inputs.values())
        return {label: _pick(seed, ["high", "medium", "low"])}

    return compute


def _outs(*specs: tuple[str, str, str], deps: list[str]) -> list[SimColumn]:
    return [SimColumn(key, name, kind, list(deps)) for key, name, kind in specs]


SCORING_INPUTS = [
    "company_name",
    "website",
    "industry",
    "country",
    "employee_range",
    "annual_revenue",
    "funding_stage",
    "crm_owner",
    "lead_source",
    "contact_email",
    "contact_title",
    "notes",
]


def demo_grids() -> list[SimGrid]:
    """A fresh copy of the demo workspace's grids."""
    grids = [
        SimGrid(
            "Company Enrichment",
            "Firmographics, tech stack and an AI summary for a company.",
            ["company_name", "website"],
            _outs(
                ("industry", "Industry", "enrichment"),
                ("employee_count", "Employee count", "enrichment"),
                deps=["company_name"],
            )
            + _outs(("tech_stack", "Tech stack", "enrichment"), deps=["website"])
            + _outs(
                ("headquarters", "Headquarters", "merge"),
                ("ai_summary", "AI summary", "formula"),
                deps=["company_name", "website"],
            ),
            _company,
            duration=2.0,
            row_count=1284,
        ),
        SimGrid(
            "Person Lookup",
            "Find a person's work email, title and LinkedIn profile.",
            ["full_name", "company_domain"],
            _outs(
                ("work_email", "Work email", "enrichment"),
                ("job_title", "Job title", "enrichment"),
                ("linkedin_url", "LinkedIn URL", "enrichment"),
                ("seniority", "Seniority", "formula"),
                deps=["full_name", "company_domain"],
            ),
            _person,
            duration=1.0,
            row_count=532,
        ),
        SimGrid(
            "Deep Research (slow)",
            "Slow multi-source research; takes longer than a sync run waits.",
            ["topic"],
            _outs(
                ("research_notes", "Research notes", "enrichment"),
                ("sources_found", "Sources found", "formula"),
                deps=["topic"],
            ),
            _research,
            duration=150.0,
            row_count=41,
        ),
        SimGrid(
            "Broken Enrichment",
            "A grid whose provider always fails, for trying error paths.",
            ["company_name"],
            _outs(("provider_data", "Provider data", "enrichment"), deps=["company_name"]),
            _simple("provider_data"),
            duration=1.0,
            row_count=7,
            fails_with="Enrichment provider returned an error for '{company_name}'.",
        ),
        SimGrid(
            "Account Scoring",
            "Scores an account from twelve CRM fields.",
            SCORING_INPUTS,
            _outs(
                ("fit_score", "Fit score", "formula"),
                ("tier", "Tier", "formula"),
                ("inputs_seen", "Inputs seen", "merge"),
                deps=SCORING_INPUTS,
            ),
            _scoring,
            duration=3.0,
            row_count=9020,
        ),
        SimGrid(
            "Load Test",
            "Waits duration_seconds, then echoes the company; for benchmarks.",
            ["company_name", "duration_seconds"],
            _outs(
                ("echo", "Echo", "formula"),
                ("waited_seconds", "Waited seconds", "formula"),
                deps=["company_name", "duration_seconds"],
            ),
            _timed,
            duration=5.0,
            credit_cost=1,
            duration_input="duration_seconds",
        ),
        SimGrid(
            "Draft Grid (no API source)",
            "Has no BitScale API source yet.",
            ["company_name"],
            _outs(("domain", "Domain", "enrichment"), deps=["company_name"]),
            _domain,
            has_source=False,
        ),
    ]
    for label in [
        "Hiring Signals",
        "Funding Rounds",
        "Tech Stack Detector",
        "Email Finder",
        "Website Traffic",
        "Competitor Map",
        "Job Change Alerts",
        "Intent Topics",
    ]:
        key = label.lower().replace(" ", "_")
        grids.append(
            SimGrid(
                label,
                f"{label} for a company domain.",
                ["company_domain"],
                _outs((key, label, "enrichment"), deps=["company_domain"]),
                _simple(key),
                duration=2.0,
                row_count=_number(label, 10, 5000),
            )
        )
    return grids


def timed_grid(name: str, seconds: float) -> SimGrid:
    """A grid whose every run takes `seconds` and echoes `company_name` back."""
    return SimGrid(
        name,
        f"Takes {seconds:g} s a run, then echoes the company; for deploy tests.",
        ["company_name"],
        _outs(("echo", "Echo", "formula"), deps=["company_name"]),
        lambda inputs: {"echo": str(inputs.get("company_name", ""))},
        duration=seconds,
        credit_cost=1,
    )


def _profile(inputs: dict[str, Any]) -> dict[str, Any]:
    url = str(inputs.get("linkedin_url", "")).rstrip("/")
    handle = url.rsplit("/", 1)[-1] or "someone"
    name = " ".join(w.capitalize() for w in handle.split("-") if w.isalpha()) or handle
    return {
        "full_name": name,
        "job_title": _pick(handle, ["VP Sales", "Head of RevOps", "CTO", "Account Executive"]),
        "company": _pick(handle + "c", ["Acme", "Globex", "Initech", "Umbrella"]),
        "location": _pick(handle + "l", ["Berlin", "Austin", "London", "Toronto"]),
    }


def linkedin_grid() -> SimGrid:
    """A grid that takes a LinkedIn link (for previews, reactions and their tests)."""
    return SimGrid(
        "LinkedIn Profile",
        "Name, title, company and location from a LinkedIn profile link.",
        ["linkedin_url"],
        _outs(
            ("full_name", "Full name", "enrichment"),
            ("job_title", "Job title", "enrichment"),
            ("company", "Company", "enrichment"),
            ("location", "Location", "enrichment"),
            deps=["linkedin_url"],
        ),
        _profile,
        duration=1.0,
        row_count=88,
        credit_cost=2,
    )
