"""Where the credits go: the credit monitor and its alerts (credits.py), the credit history
(history.py), the burn-rate forecast (forecast.py), what drives the spend (drivers.py),
each person's choices about what the bot sends them (preferences.py), the weekly digest
(digest.py, weekly.py, digest_sends.py), the charts (charts.py, drawn by draw.py in a child
process), the batch owners' DMs sent once (owner_notices.py), and the one object the Slack
face asks (service.py).

May import governance/, grids/, leads/, providers/ and store/; never slack/ or playground/.
"""
