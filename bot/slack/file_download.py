"""Downloading a shared file into memory within limits (it is kept in the database, never on
a local disk): the bot token only where
`token_hosts.may_carry_token` allows it (redirects are followed here, hop by hop, so each
hop is checked), an overall deadline (a 1 byte/s host must not hold a worker for ever), and
a cap on the decoded size checked as the bytes arrive (a small gzip body can inflate to
hundreds of MB: it is decoded a bounded piece at a time, never a whole network chunk)."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from bot.slack.token_hosts import may_carry_token

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
PIECE = 1 << 16  # the most bytes one decode step may produce
READ_TIMEOUT = 30.0
NOT_SHARED = (
    "I can't open that file: it was deleted, or it was shared somewhere I'm not a member. "
    "Upload it in the form, or share it in a channel I'm in, and try again."
)


class DownloadProblem(Exception):
    """The download failed; the message is the sentence for the person."""


@dataclass(frozen=True)
class Limits:
    name: str  # the file's name, for sentences
    max_bytes: int  # decoded size cap
    deadline: float  # time.monotonic() by which the whole download must be done
    api_url: str | None = None  # the configured Web API origin may be sent the token

    @property
    def limit_mb(self) -> float:
        return self.max_bytes / 1_000_000


def download(url: str, token: str, limits: Limits) -> bytes:
    """The file at `url`, decoded. DownloadProblem on failure."""
    try:
        with httpx.Client(follow_redirects=False, timeout=_timeout(limits)) as http:
            for _ in range(MAX_REDIRECTS + 1):
                headers = {"Accept-Encoding": "identity"}
                if may_carry_token(url, limits.api_url):
                    headers["Authorization"] = f"Bearer {token}"
                with http.stream("GET", url, headers=headers) as response:
                    if response.is_redirect and response.headers.get("Location"):
                        url = urljoin(url, response.headers["Location"])
                        continue
                    return _read(response, limits)
            raise DownloadProblem(NOT_SHARED)
    except httpx.HTTPError as exc:
        log.info("download of %s failed: %s", limits.name, type(exc).__name__)
        raise DownloadProblem(
            f"I couldn't download {limits.name} from Slack ({type(exc).__name__}). Try again "
            "in a minute."
        ) from None


def _timeout(limits: Limits) -> httpx.Timeout:
    left = max(0.1, limits.deadline - time.monotonic())
    return httpx.Timeout(min(READ_TIMEOUT, left), connect=min(10.0, left))


def _read(response: httpx.Response, limits: Limits) -> bytes:
    kind = response.headers.get("Content-Type", "")
    if response.status_code != 200 or kind.startswith("text/html"):
        # Slack answers a download it won't allow with its sign-in page.
        log.info("download of %s: HTTP %s %s", limits.name, response.status_code, kind)
        raise DownloadProblem(NOT_SHARED)
    got = bytearray()
    for piece in _decoded(response, limits):
        got += piece
        if len(got) > limits.max_bytes:
            raise DownloadProblem(
                f"{limits.name} is larger than {limits.limit_mb:g} MB, the most a batch "
                "file may be (BATCH_MAX_FILE_MB). Split it into smaller files."
            )
        if time.monotonic() > limits.deadline:
            raise DownloadProblem(
                f"Downloading {limits.name} from Slack took too long, so I stopped. Try "
                "again in a few minutes; if it keeps happening, upload a smaller file."
            )
    return bytes(got)


def _decoded(response: httpx.Response, limits: Limits) -> Iterator[bytes]:
    """The body's bytes, decoded at most PIECE bytes a step whatever came compressed."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        for chunk in response.iter_raw():
            yield chunk
            _check_deadline(limits)
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise DownloadProblem(
            f"Slack sent {limits.name} in an encoding I can't read ({encoding[:20]}). Try "
            "again in a minute."
        )
    # 32 + MAX_WBITS: gzip or zlib headers, whichever came.
    inflater = zlib.decompressobj(32 + zlib.MAX_WBITS)
    try:
        for chunk in response.iter_raw():
            data = chunk
            while data:
                piece = inflater.decompress(data, PIECE)
                data = inflater.unconsumed_tail
                if piece:
                    yield piece
                _check_deadline(limits)
    except zlib.error:
        raise DownloadProblem(
            f"{limits.name} arrived damaged (its compression is broken). Try again in a minute."
        ) from None


def _check_deadline(limits: Limits) -> None:
    if time.monotonic() > limits.deadline:
        raise DownloadProblem(
            f"Downloading {limits.name} from Slack took too long, so I stopped. Try again in "
            "a few minutes; if it keeps happening, upload a smaller file."
        )
