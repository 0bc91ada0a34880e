""".ci/run on a fresh machine: it checks that PostgreSQL answers, starts the cluster when it
does not, then runs the README's test command as written. Run here with stand-ins for
pg_isready, pg_ctlcluster and python3 (the real server is shared and stays up)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()

FAKE_PG_ISREADY = """#!/bin/sh
echo "pg_isready $*" >> "$CALLS"
[ -e "$STATE/up" ] && exit 0
exit 2
"""
FAKE_PG_CTLCLUSTER = """#!/bin/sh
echo "pg_ctlcluster $*" >> "$CALLS"
touch "$STATE/up"
"""
# `python3 -m venv .venv` makes a .venv whose pip and python only say what they were asked.
FAKE_PYTHON3 = """#!/bin/sh
echo "python3 $*" >> "$CALLS"
mkdir -p .venv/bin
for tool in pip python; do
  printf '#!/bin/sh\\necho "%s $*" >> "$CALLS"\\n' ".venv/bin/$tool" > .venv/bin/$tool
  chmod +x .venv/bin/$tool
done
"""


@pytest.fixture
def machine(tmp_path):
    if not Path("/etc/postgresql").is_dir():
        pytest.skip("no /etc/postgresql on this machine: .ci/run names its cluster from it")
    checkout = tmp_path / "checkout"
    (checkout / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", checkout / ".ci" / "run")
    tools = tmp_path / "tools"
    tools.mkdir()
    for name, text in {
        "pg_isready": FAKE_PG_ISREADY,
        "pg_ctlcluster": FAKE_PG_CTLCLUSTER,
        "python3": FAKE_PYTHON3,
    }.items():
        (tools / name).write_text(text)
        (tools / name).chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    env = {
        "PATH": f"{tools}:/usr/bin:/bin",
        "CALLS": str(tmp_path / "calls"),
        "STATE": str(state),
        "HOME": str(tmp_path),
    }

    def run() -> tuple[subprocess.CompletedProcess, list[str]]:
        done = subprocess.run(
            [str(checkout / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60
        )
        calls = Path(env["CALLS"]).read_text().splitlines()
        return done, calls

    run.state = state  # type: ignore[attr-defined]
    return run


def readme_command() -> list[str]:
    section = README.split("## Run the tests", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"```sh\n(.*?)\n```", section, re.S).group(1)
    # As the stand-ins record it: the shell's quoting gone.
    return [" ".join(shlex.split(part)) for part in command.split("&&")]


def test_a_running_server_is_left_alone_and_the_readme_command_runs(machine):
    (machine.state / "up").touch()
    done, calls = machine()
    assert done.returncode == 0, done.stderr
    assert calls == ["pg_isready -q -h 127.0.0.1 -p 5432", *readme_command()]


def test_a_stopped_server_is_started_before_the_tests(machine):
    done, calls = machine()
    assert done.returncode == 0, done.stderr
    version = os.listdir("/etc/postgresql")[0]
    assert calls[:2] == [
        "pg_isready -q -h 127.0.0.1 -p 5432",
        f"pg_ctlcluster --skip-systemctl-redirect {version} main start",
    ]
    assert calls[-3:] == readme_command()
    assert "PostgreSQL is not answering on 127.0.0.1:5432; starting it" in done.stderr
