"""The run lifecycle: submit, poll, finish, recover and notify, one module per step.

service.py is the entry (RunService); types.py holds the words the steps share (requests,
the notifier and gate protocols); timings, progress, reuse and workflow-step completion
serve it. May import providers/ and store/; never slack/ or playground/.
"""
