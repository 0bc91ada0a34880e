"""Watches: a grid re-run on a set of rows on a schedule, and one digest of what changed.

schedule.py computes firing times in the creator's time zone; diff.py compares old and new
values on meaning; digest.py condenses a firing's changes (and says how late it was);
records.py is a watch, a row and a firing as the code holds them; store.py is all their SQL,
on either backend: the watches, each row's last known values and the firings (one row per
(watch, scheduled time)); firings.py starts due firings through the batch machinery (a
firing's batch: firing_batch.py) and finishes them into digests, posted with their table
by digest_posts.py; service.py is the entry the
Slack face calls (create, pause, resume, edit, run now, delete).
May import batches/, runs/, governance/, providers/ and store/; never slack/ or playground/.
"""
