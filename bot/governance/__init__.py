"""Who may run what, and the record of it: policy and budgets (policy.py, over the data in
access.py), approvals, the audit log, usage, API key rotation, stored settings, run
visibility and channel default grids.

May import providers/ and store/; never slack/, playground/ or the other core packages.
"""
