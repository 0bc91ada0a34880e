"""The BitScale and Bittlebits API simulators on loopback, faithful to the references:
documented status codes, error bodies, rate limits and run timing.

May import bot/playground/http.py only.
"""
