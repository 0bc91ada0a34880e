"""Leads found in ordinary text: values extracted from a message (emails, domains, names,
LinkedIn profiles) and matched to a grid's inputs. Pure functions.

Imports nothing else of bot/.
"""
