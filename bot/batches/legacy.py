"""Moving an existing deployment's batch files into the database, once, at start.

Before files lived in the database, uploaded and enriched CSVs were kept in a
`batch-files/` folder next to the SQLite file (world-readable, kept for ever). At start
each batch's files found there are stored in the database (files.py) and the batch points
at them; then the folder, with any file no batch names, is deleted: nothing of lead data
stays on the disk."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from bot.batches.store import BatchStore

log = logging.getLogger(__name__)

FOLDER = "batch-files"


def legacy_folder(database_path: str) -> Path | None:
    if database_path == ":memory:":
        return None
    return Path(database_path).parent / FOLDER


def import_batch_files(store: BatchStore, folder: Path | None) -> int:
    """Store every legacy file a batch names; remove the folder. The number imported.
    On PostgreSQL there is no file beside the database, so nothing to import: 0."""
    if store.store.path is None:
        return 0
    pending = store.sql.query(
        "SELECT id, file_name, file_path, result_path FROM batches "
        "WHERE (file_path IS NOT NULL AND file_id IS NULL) "
        "OR (result_path IS NOT NULL AND result_file_id IS NULL)"
    )
    imported = 0
    for row in pending:
        batch_id, name = row["id"], row["file_name"]
        upload, enriched = row["file_path"], row["result_path"]
        changes: dict[str, str | None] = {"file_path": None, "result_path": None}
        for kind, path, column in (
            ("upload", upload, "file_id"),
            ("enriched", enriched, "result_file_id"),
        ):
            data = _read(path)
            if data is not None:
                label = name if kind == "upload" else f"{name} (enriched)"
                changes[column] = store.files.put(kind, label or "file.csv", data, batch_id)
                imported += 1
            elif path:
                log.warning("batch %s: its %s file was already gone from the disk", batch_id, kind)
        store.update(batch_id, **changes)
    if folder is not None and folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        log.info("moved %d batch files into the database and removed %s", imported, folder)
    return imported


def _read(path: str | None) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError:
        return None
