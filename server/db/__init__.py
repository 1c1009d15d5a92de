"""Storage: engine and migrations (engine.py), tables (tables.py), search (search.py)."""
