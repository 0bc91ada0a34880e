"""Type-ahead with a cold grid cache and a large workspace: no listing on server threads."""

from __future__ import annotations

import json
import threading

from bot.playground.simulators.sim_grid import SimGrid
from bot.playground.slack.records import wait_for
from bot.slack import blocks as kit
from tests.e2e.test_commands import ack_blocks, blocks_text

GRIDS = 10_000  # 100 pages of 100: at 5 requests a second a full walk takes 20 s or more


def test_a_cold_cache_answers_keystrokes_without_walking_every_page(stack):
    for i in range(GRIDS):
        grid = SimGrid(f"Account Research {i:05d}", "", ["company_name"], [], lambda inputs: {})
        stack.sim.state.grids[grid.id] = grid
    askers: list[str] = []
    client = stack.bot.catalog.client
    real = client.list_grids

    def recording(*args, **kwargs):
        askers.append(threading.current_thread().name)
        return real(*args, **kwargs)

    client.list_grids = recording
    stack.driver.shortcut()  # the picker, with the type-ahead box
    view = wait_for(lambda: stack.standin.latest_view())
    answers: dict[str, dict] = {}

    def keystroke(text: str) -> None:
        answers[text] = json.loads(stack.driver.suggest(kit.PICK_GRID_ACTION, text, view).text)

    typed = [f"Account Research 0{i:02d}" for i in range(18)]
    threads = [threading.Thread(target=keystroke, args=(t,)) for t in typed]
    for thread in threads:
        thread.start()
    help_answer, _, _ = stack.driver.command("help")
    for thread in threads:
        thread.join(60)

    assert "/bitscale grids" in blocks_text(ack_blocks(help_answer))
    pages_listed = stack.sim.count(path_contains="/grids")
    assert pages_listed < GRIDS // 100  # the full list is still being fetched meanwhile
    # Every list request left from the look-up workers, none from a server thread.
    assert askers and all(name.startswith("grid-lookup") for name in askers), set(askers)
    for text in typed:
        options = answers[text]["options"]
        loading = [o for o in options if o["value"] == kit.LOADING_GRIDS]
        names = [o["text"]["text"] for o in options]
        assert loading or (names and all(n.startswith(text) for n in names)), (text, names)
    assert any(o["value"] != kit.LOADING_GRIDS for a in answers.values() for o in a["options"])
