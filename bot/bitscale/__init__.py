"""Old home of the BitScale client, kept so `bot.bitscale…` imports keep working.

The code lives in bot/providers/bitscale/ (and the limiter in bot/providers/limiter.py);
the submodules are aliased, not copied, so patching one patches the other.
"""

import sys

from bot.providers import limiter
from bot.providers.bitscale import (
    BitScaleClient,
    BitScaleError,
    Priority,
    RateLimiter,
    client,
    errors,
    models,
)

for _name, _module in (
    ("client", client),
    ("errors", errors),
    ("models", models),
    ("limiter", limiter),
):
    sys.modules[f"{__name__}.{_name}"] = _module

__all__ = ["BitScaleClient", "BitScaleError", "Priority", "RateLimiter"]
