"""CSV batches: a file, a column mapping and many runs, from upload to the enriched file.

service.py is the entry (BatchService); prepare (with expand), feeder, housekeeping (with
stops, posts and finish) and progress are its steps, store.py its tables, csvread.py
and csvwrite.py the file reading and writing.
May import runs/, providers/ and store/; never slack/ or playground/.
"""
