"""Small builders shared by the tests."""

from __future__ import annotations

from bot.store.run_record import Run


class Clock:
    """A clock the test moves by hand (`clock.now += 5`), for code that takes `clock=`."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_run(**overrides) -> Run:
    """A finished run of Company Enrichment by U0ANA; override any field."""
    fields = dict(
        id="r1",
        grid_id="g1",
        grid_name="Company Enrichment",
        inputs={"company_name": "Acme"},
        output_columns=None,
        user_id="U0ANA",
        channel_id="C1",
        state="completed",
        created_at=1_700_000_000.0,
    )
    fields.update(overrides)
    return Run(**fields)
