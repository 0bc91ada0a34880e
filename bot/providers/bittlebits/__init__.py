"""Bittlebits as a provider: page scores and rewrite suggestions (client, models, errors,
rendering, and the run adapter)."""
