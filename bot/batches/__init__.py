"""CSV batches: a file, a column mapping and many runs, from upload to the enriched file.

service.py is the entry (BatchService); expand, feeder, stops, progress, posts and finish
are its steps, store.py its tables, csvio.py the file reading and writing.
May import runs/, providers/ and store/; never slack/ or playground/.
"""
