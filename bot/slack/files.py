"""Reading a file someone shared with the bot: `files.info`, then an authenticated download
of `url_private` (file_download.py: the token only to Slack's hosts, a size cap and a
deadline), into memory: the caller keeps it in the database. Every failure is a `FileProblem` whose
message says what went wrong and what to do."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.file_download import NOT_SHARED, DownloadProblem, Limits, download
from bot.slack.token_hosts import may_carry_token

log = logging.getLogger(__name__)

CSV_TYPES = {"csv", "tsv", "text"}
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
DOWNLOAD_DEADLINE = 120.0  # seconds for the whole download, however slowly it arrives


class FileProblem(Exception):
    """The file cannot be read; the message names the problem and the fix."""


@dataclass
class SharedFile:
    id: str
    name: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


def describe_file(client: WebClient, file_id: str) -> dict:
    """Slack's record of the file (name, size, type, private URL), or FileProblem."""
    try:
        return client.files_info(file=file_id)["file"]
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        log.info("files.info %s: %s", file_id, error)
        if error in ("missing_scope", "not_allowed_token_type"):
            raise FileProblem(
                "I'm not allowed to read files in this workspace (the app lacks the files:read "
                "permission). Ask an admin to reinstall the app from manifest.yml."
            ) from None
        raise FileProblem(NOT_SHARED) from None


def fetch_file(
    client: WebClient,
    file_id: str,
    *,
    max_bytes: int,
    deadline_seconds: float = DOWNLOAD_DEADLINE,
) -> SharedFile:
    """Download the file, checking what Slack says about it first."""
    info = describe_file(client, file_id)
    name = str(info.get("name") or info.get("title") or "the file")
    size = int(info.get("size") or 0)
    limit_mb = max_bytes / 1_000_000
    if size > max_bytes:
        raise FileProblem(
            f"{name} is {size / 1_000_000:.1f} MB; a batch file may be at most {limit_mb:g} MB "
            "(BATCH_MAX_FILE_MB). Split it into smaller files and start a batch for each."
        )
    filetype = str(info.get("filetype") or "").lower()
    if filetype not in CSV_TYPES and not name.lower().endswith(CSV_SUFFIXES):
        kind = str(info.get("pretty_type") or filetype or "that kind of")
        raise FileProblem(
            f"{name} is a {kind} file, not a CSV. In your spreadsheet app choose File → "
            "Download / Save as → CSV, and upload that."
        )
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if not url:
        raise FileProblem(NOT_SHARED)
    api_url = str(getattr(client, "base_url", "") or "") or None
    if not may_carry_token(url, api_url):
        # Never hand the token to a host Slack's answer named: refuse, say nothing more.
        log.warning("file %s: download URL is not a Slack file host; refused", file_id)
        raise FileProblem(NOT_SHARED)
    limits = Limits(name, max_bytes, time.monotonic() + deadline_seconds, api_url)
    try:
        data = download(url, client.token or "", limits)
    except DownloadProblem as problem:
        raise FileProblem(str(problem)) from None
    return SharedFile(file_id, name, data)
