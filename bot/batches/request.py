"""A batch as the form hands it over (a checked file and a mapping), and the record it
becomes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.batches.csvread import CsvInfo
from bot.batches.rows import Plan
from bot.batches.store import Batch


@dataclass
class BatchRequest:
    """A batch as the form hands it over: a checked file and a mapping."""

    info: CsvInfo
    file_name: str
    grid_id: str
    grid_name: str
    mapping: dict[str, str]
    outputs: list[dict[str, str]]  # [{"id", "name"}] to add as columns
    output_columns: list[str] | None
    user_id: str
    channel_id: str | None
    plan: Plan
    estimate: float | None = None
    team_id: str | None = None
    dedupe_key: str | None = None
    fresh: bool = False  # "Run all fresh": no earlier result is reused

    def batch(self, batch_id: str, mode: str, state: str, now: float) -> Batch:
        """The batch to record for this request."""
        return Batch(
            id=batch_id,
            dedupe_key=self.dedupe_key,
            grid_id=self.grid_id,
            grid_name=self.grid_name,
            user_id=self.user_id,
            team_id=self.team_id,
            channel_id=self.channel_id,
            file_name=self.file_name,
            file_id=self.info.file_id,
            encoding=self.info.encoding,
            delimiter=self.info.delimiter,
            headers=self.info.headers,
            mapping=self.mapping,
            outputs=self.outputs,
            output_columns=self.output_columns,
            mode=mode,
            state=state,
            rows_total=self.plan.rows_total,
            rows_skipped=self.plan.skipped,
            rows_duplicate=self.plan.duplicates,
            runs_total=self.plan.runs,
            fresh=int(self.fresh),
            estimate=self.estimate,
            created_at=now,
        )
