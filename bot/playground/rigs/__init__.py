"""The bot wired to the stand-ins: stack.py runs it in this process (tests, the shell);
bot_process.py and process_rig.py run it as a real process to stop and restart;
deploys.py stops it at every step of runs of every length.

May import simulators/, slack/ and the app's edge (bootstrap, server, scheduler).
"""
