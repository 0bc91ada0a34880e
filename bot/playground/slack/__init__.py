"""The Slack stand-in (Web API methods and Socket Mode, recording every call) and the
driver that plays Slack towards the bot with signed requests.

May import bot/playground/http.py and slack/text.py; not the simulators, shell or rigs.
"""
