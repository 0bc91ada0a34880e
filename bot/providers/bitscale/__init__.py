"""BitScale as a provider: the External API client, models, errors, and the run adapter."""

from bot.providers.bitscale.client import BitScaleClient, Priority
from bot.providers.bitscale.errors import BitScaleError
from bot.providers.limiter import RateLimiter

__all__ = ["BitScaleClient", "BitScaleError", "Priority", "RateLimiter"]
