"""Files the bot attaches, saved where the person can open them: a folder next to the --db
file (a temporary one without --db), owner-only, as Slack would let only them see a DM."""

from __future__ import annotations

import os
import re
from pathlib import Path


def files_folder(db_path: str) -> Path:
    folder = Path(db_path).resolve().parent / "bitscale-shell-files"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def save_attachment(folder: Path, filename: str | None, content: bytes) -> Path:
    """Write one attachment under a safe, new name in `folder`; its path."""
    name = re.sub(r"[^\w.+-]", "_", Path(filename or "attachment").name).lstrip(".") or "file"
    path = folder / name
    stem, suffix = path.stem, path.suffix
    number = 1
    while path.exists():
        number += 1
        path = folder / f"{stem}-{number}{suffix}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    return path
