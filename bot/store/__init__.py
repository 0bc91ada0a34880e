"""The database: connections and the Store, the schema and its migrations, the run record,
the single-instance lock and retention. A second backend goes here, one module per backend.

Imports nothing else of bot/: every other package may import it.
"""
