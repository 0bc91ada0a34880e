"""The BitScale External API: client, models, errors and rate limiter. Nothing Slack in here."""

from bot.bitscale.client import BitScaleClient, Priority
from bot.bitscale.errors import BitScaleError
from bot.bitscale.limiter import RateLimiter

__all__ = ["BitScaleClient", "BitScaleError", "Priority", "RateLimiter"]
