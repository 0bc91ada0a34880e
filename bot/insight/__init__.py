"""What the workspace spends: the credit monitor and its threshold alerts.

May import providers/ and store/; never slack/ or playground/.
"""
