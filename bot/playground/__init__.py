"""Everything that stands in for the outside world, for the shell, tests and benchmarks:
simulators/ (BitScale, Bittlebits), slack/ (the Slack stand-in and the driver that plays
Slack towards the bot), shell/ (the terminal playground), rigs/ (the bot in-process or as
a real process). May import anything in bot/; nothing in bot/ outside it imports it but cli.py.
"""
