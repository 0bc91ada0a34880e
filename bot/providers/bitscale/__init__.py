"""BitScale as a provider: the External API client, models, errors, and the run adapter."""
