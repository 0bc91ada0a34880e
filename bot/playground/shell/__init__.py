"""`bitscale-bot shell`: the bot in a terminal. start.py starts it, session.py turns typing
into Slack requests, output.py prints what the bot posts, form.py and views.py ask modals
as prompts, extras.py plays the other entry points, help.py is what `help` prints.

May import rigs/, slack/ and bot/slack/.
"""
