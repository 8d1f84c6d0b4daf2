"""Importable test helpers (``tests/`` is on sys.path through its rootdir conftest)."""
