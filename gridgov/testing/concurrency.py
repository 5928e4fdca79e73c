"""Races for tests: real threads, each with its own database connection."""

from __future__ import annotations

import threading

from django.db import connections


def race(*calls):
    """Run the calls at the same moment in separate threads; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        finally:
            # every alias the call used (the PostgreSQL run also reads through the replica's): a connection
            # left open keeps the test database from being dropped at the end of the run
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results
