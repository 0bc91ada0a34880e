"""bitscale-bot: run BitScale grids from Slack."""
