"""Previews where a lead appears: what the bot may show for a LinkedIn link, a 🔎 reaction
or a lead posted in an opted-in channel, and the records that keep it quiet and exactly-once.

rules.py holds the pure decisions (channel levels, the noise rules), settings.py the
admins' per-channel choices and people's mutes, unfurls.py the previews given (one per link
per message, the 30-minute rule, one run per click), offers.py the detection offers and
reactions.py the reaction runs. No Slack in here. May import leads/ and store/ only.
"""
