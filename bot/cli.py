"""`bitscale-bot start | migrate | migrate-db | backup | shell | simulate`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlsplit

from bot.config import SettingsError
from bot.logs import configure_logging
from bot.start_settings import settings_for_start, settings_help


def _version() -> str:
    try:
        return version("bitscale-bot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bitscale-bot", description="Run BitScale grids from Slack."
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"bitscale-bot {_version()}",
        help="print the version and exit",
    )
    sub = parser.add_subparsers(
        dest="verb", metavar="{start,migrate,migrate-db,backup,shell,simulate}", help="what to do"
    )

    sub.add_parser(
        "start",
        help="run the Slack bot (Socket Mode if SLACK_APP_TOKEN is set, else HTTP on PORT); "
        "'start --help' lists every setting",
        description="Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP\n"
        "(POST /slack/events). Either way GET /healthz answers on HOST:PORT.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )

    sub.add_parser(
        "migrate",
        help="bring the database's schema to this version's newest revision, then exit",
        description="Migrate the database of DATABASE_URL (else the SQLite file at\n"
        "DATABASE_PATH) to this version's newest schema revision. `start` does it too; run\n"
        "it on its own as a release or pre-deploy step (Procfile: release).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )

    move = sub.add_parser(
        "migrate-db",
        help="copy the SQLite database at DATABASE_PATH into an empty PostgreSQL database",
        description="Copy everything in the SQLite database at DATABASE_PATH (runs in flight,\n"
        "batches and their files, the audit log...) into an empty PostgreSQL database, in one\n"
        "transaction, then compare the row counts table by table. Stop the bot first; start\n"
        "it again with DATABASE_URL set to the same URL. The target is --to, else DATABASE_URL\n"
        "(better: a password in --to can be read by anyone who lists this machine's processes).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    move.add_argument(
        "--to",
        metavar="URL",
        help="the target: postgresql://user@host/db (default: DATABASE_URL, which keeps a "
        "password out of the process list)",
    )

    backup = sub.add_parser(
        "backup",
        help="copy the live SQLite database to FILE, safely while the bot runs",
        description="Take a consistent copy of the SQLite database at DATABASE_PATH while the\n"
        "bot runs (SQLite's online backup API). The copy holds lead data and any API key a\n"
        "rotation stored: keep it as secret as the database. For PostgreSQL use pg_dump.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backup.add_argument(
        "file", metavar="FILE", help="where to write the copy (replaced if it exists)"
    )

    shell = sub.add_parser("shell", help="try the whole bot in the terminal, no Slack needed")
    shell.add_argument(
        "--db", metavar="PATH", help="keep state in this SQLite file (default: a temporary one)"
    )
    shell.add_argument(
        "--script",
        metavar="FILE",
        help="read commands from FILE ('-' for stdin) instead of a prompt",
    )
    shell.add_argument("--user", default="ana", help="your name in the pretend Slack")
    shell.add_argument("--channel", default="sales", help="the channel you type in")

    simulate = sub.add_parser("simulate", help="serve the BitScale API simulator on loopback")
    simulate.add_argument(
        "--port", type=int, default=8765, help="the loopback port to serve on (default: 8765)"
    )
    simulate.add_argument("--api-key", help="the key it accepts (default: sim-demo-key)")
    simulate.add_argument(
        "--sync-wait",
        type=float,
        default=120.0,
        help="seconds a sync run is held open before answering 'running' "
        "(BitScale's real window is 120; change it only to experiment)",
    )
    simulate.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="run the simulated clock this many times faster than real time: run "
        "durations and the sync window alike (the 5 requests/s limit stays real)",
    )
    simulate.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds added to every answer, to look like a real API",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # The shell is a conversation: only real trouble goes to the terminal. The database
    # commands say their own one line, which the migration's log line would repeat.
    quiet = {"shell": logging.ERROR, "migrate": logging.WARNING, "migrate-db": logging.WARNING}
    configure_logging(quiet.get(args.verb, logging.INFO))
    if args.verb == "simulate":
        from bot.playground.simulators.bitscale import serve

        serve(args.port, args.api_key, args.sync_wait, args.latency, args.time_scale)
        return 0
    if args.verb == "shell":
        from bot.playground.shell.start import run_shell
        from bot.store.database import StoreError
        from bot.store.instance_lock import InstanceLockError

        try:
            return run_shell(
                db_path=args.db,
                script=args.script,
                user=args.user,
                channel=args.channel,
                quiet_after=True,
            )
        except (InstanceLockError, StoreError) as exc:
            print(f"bitscale-bot: {exc}", file=sys.stderr)
            return 2
    if args.verb == "backup":
        return _backup(args.file)
    if args.verb == "migrate":
        return _migrate()
    if args.verb == "migrate-db":
        return _migrate_db(args.to)
    if args.verb == "start":
        try:
            settings = settings_for_start()
        except SettingsError as exc:
            for line in exc.lines:  # everything wrong at once, one line each
                print(f"bitscale-bot: {line}", file=sys.stderr)
            return 2
        configure_logging(settings.log_level, settings.log_format, settings.secret_values)
        from bot.server import serve_bot

        return serve_bot(settings)
    _parser().print_help()
    return 0


def _backup(file: str) -> int:
    from bot.config import load_settings
    from bot.store.backup import BackupError, backup_sqlite

    if os.environ.get("DATABASE_URL", "").strip():
        print(
            "bitscale-bot: DATABASE_URL is set, so the database is PostgreSQL: back it up "
            "with pg_dump (README: Backups).",
            file=sys.stderr,
        )
        return 2
    try:
        database = load_settings().database_path
        done = backup_sqlite(database, file)
    except (SettingsError, BackupError) as exc:
        print(f"bitscale-bot: backup failed: {exc}", file=sys.stderr)
        return 2
    print(
        f"backed up {database} to {done.path} ({done.bytes / 1_000_000:.1f} MB, {done.runs} "
        "runs). It holds lead data and any API key a rotation stored: keep it owner-only.",
        flush=True,
    )
    return 0


def _database_target() -> str:
    from bot.config import load_settings

    return load_settings().database_target


def _store_verb(verb: str, work: Callable[[], str]) -> int:
    """Run one store command and print what it returns; a settings or store error is printed
    (settings errors one line each) and ends the verb with status 2."""
    from bot.store.opening import StoreError

    try:
        text = work()
    except SettingsError as exc:
        for line in exc.lines:
            print(f"bitscale-bot: {line}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"bitscale-bot: {verb} failed: {exc}", file=sys.stderr)
        return 2
    print(text, flush=True)
    return 0


def _migrate() -> int:
    from bot.store.commands import migrate_command

    return _store_verb("migrate", lambda: migrate_command(_database_target()))


def _migrate_db(to: str | None) -> int:
    from bot.config import load_settings
    from bot.store.migrate_db import migrate_db

    url = to or os.environ.get("DATABASE_URL", "")
    if not url:
        print(
            "bitscale-bot: migrate-db needs a target: set DATABASE_URL to the PostgreSQL "
            "database (or pass --to URL)",
            file=sys.stderr,
        )
        return 2
    if to and urlsplit(to).password:
        print(
            "bitscale-bot: note: the password in --to can be read from the process list by "
            "anyone on this machine; next time set DATABASE_URL and leave --to out",
            file=sys.stderr,
        )

    def work() -> str:
        source = load_settings().database_path
        return "\n".join(migrate_db(source, url).lines(source, url))

    return _store_verb("migrate-db", work)


if __name__ == "__main__":
    raise SystemExit(main())
