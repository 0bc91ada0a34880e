"""Run providers: each service the bot can run work on (see base.py for the interface)."""
