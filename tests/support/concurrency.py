"""Real concurrent clients: the same call made by several threads released at one moment."""

import threading

from django.db import connection


def at_once(call, times: int = 2) -> list:
    """What `call` returned in each of `times` threads started together, in the order they
    finished; each thread has its own database connection, closed when it is done."""
    start, results = threading.Barrier(times), []

    def run():
        try:
            start.wait()
            results.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
