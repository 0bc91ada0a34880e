"""`bitscale-bot backup FILE` with DATABASE_URL set: PostgreSQL is backed up with pg_dump,
and the command says so in one line instead of copying a SQLite file nobody uses."""

from __future__ import annotations

from bot import cli
from bot.config import Settings, env_name

PASSWORD = "hunter2-not-for-logs"


def test_backup_on_postgresql_points_to_pg_dump(monkeypatch, tmp_path, capsys):
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://root:{PASSWORD}@db.internal:5432/bot")
    assert cli.main(["backup", str(tmp_path / "copy.db")]) == 2
    out = capsys.readouterr()
    assert out.err.splitlines() == [
        "bitscale-bot: DATABASE_URL is set, so the database is PostgreSQL: back it up with "
        "pg_dump (README: Backups)."
    ]
    assert PASSWORD not in out.err + out.out
    assert not (tmp_path / "copy.db").exists()
