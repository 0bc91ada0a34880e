"""The drawing process itself (`python -m bot.insight.draw`): reads the charts' data from
stdin, draws them with charts.render (matplotlib is imported here, never in the bot) and
writes the PNGs to stdout. The bot's side is drawing.py."""

from __future__ import annotations

import pickle
import sys

from bot.insight.charts import render
from bot.insight.drawing import Request


def main() -> None:
    requests: list[Request] = pickle.loads(sys.stdin.buffer.read())
    pngs = [render(kind, data, locale) for kind, data, locale in requests]
    sys.stdout.buffer.write(pickle.dumps(pngs))


if __name__ == "__main__":
    main()
