"""Injected failures (429, 5xx, latency, dropped connections) for a path and the next N requests. (stub)"""


def install(app) -> None:
    """Hook fault injection into the API app."""
