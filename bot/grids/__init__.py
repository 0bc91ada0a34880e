"""The grid catalog: cached grid look-ups and run contracts for the forms, and the type-ahead
that answers from the cache while a background pool refreshes it (with a bounded LRU).

May import providers/ and store/; never slack/ or playground/.
"""
