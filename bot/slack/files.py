"""Reading a file someone shared with the bot: `files.info`, then an authenticated download
of `url_private`, streamed to disk with a size cap. Every failure is a `FileProblem` whose
message says what went wrong and what to do."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

CSV_TYPES = {"csv", "tsv", "text"}
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
NOT_SHARED = (
    "I can't open that file: it was deleted, or it was shared somewhere I'm not a member. "
    "Upload it in the form, or share it in a channel I'm in, and try again."
)


class FileProblem(Exception):
    """The file cannot be read; the message names the problem and the fix."""


@dataclass
class SharedFile:
    id: str
    name: str
    path: str
    size: int


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
    client: WebClient, file_id: str, dest_dir: Path, *, max_bytes: int
) -> SharedFile:
    """Download the file to `dest_dir`, checking what Slack says about it first."""
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
    url = info.get("url_private_download") or info.get("url_private")
    if not url:
        raise FileProblem(NOT_SHARED)
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"{file_id}-{abs(hash(url)) % 10**8}.csv"
    got = _download(url, client.token or "", path, max_bytes, name, limit_mb)
    return SharedFile(file_id, name, str(path), got)


def _download(url: str, token: str, path: Path, max_bytes: int, name: str, limit_mb: float) -> int:
    got = 0
    try:
        with httpx.stream(
            "GET",
            url,
            headers={"Authorization": f"Bearer {token}"},
            follow_redirects=True,
            timeout=httpx.Timeout(60.0, connect=10.0),
        ) as response:
            kind = response.headers.get("Content-Type", "")
            if response.status_code != 200 or kind.startswith("text/html"):
                # Slack answers a download it won't allow with its sign-in page.
                log.info("download of %s: HTTP %s %s", name, response.status_code, kind)
                raise FileProblem(NOT_SHARED)
            with open(path, "wb") as out:
                for chunk in response.iter_bytes(1 << 16):
                    got += len(chunk)
                    if got > max_bytes:
                        raise FileProblem(
                            f"{name} is larger than {limit_mb:g} MB, the most a batch file may "
                            "be (BATCH_MAX_FILE_MB). Split it into smaller files."
                        )
                    out.write(chunk)
    except httpx.HTTPError as exc:
        log.info("download of %s failed: %s", name, type(exc).__name__)
        raise FileProblem(
            f"I couldn't download {name} from Slack ({type(exc).__name__}). Try again in a "
            "minute."
        ) from None
    except FileProblem:
        path.unlink(missing_ok=True)
        raise
    return got
