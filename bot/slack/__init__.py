"""The Slack face: thin Bolt listeners and pure Block Kit builders over the core."""
