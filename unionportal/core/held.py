"""Shared-cache values held in this process for a few seconds.

A value that many requests read and that seldom changes (a list's count, a batch's "sold out",
the map tiles' version) costs a Redis round trip on every request; held here it costs a
dictionary lookup, for being up to the holding time older than the shared cache's copy. An
entry stays until replaced, so only values with few names belong here (the nearest search's
count, the batches that sold out), never one named after whatever a request sends.
"""

import time

_HELD: dict[str, tuple[float, object]] = {}


def held_or_fetched(key: str, fetch, seconds: float):
    """The value held under `key`, else `fetch()`, which is then held for `seconds` unless None."""
    held = _HELD.get(key)
    if held is not None and held[0] > time.monotonic():
        return held[1]
    value = fetch()
    if value is not None:
        hold(key, value, seconds)
    return value


def hold(key: str, value, seconds: float) -> None:
    _HELD[key] = (time.monotonic() + seconds, value)


def drop_held(key: str) -> None:
    """Forget one held value: the next reader fetches it (after this process changed it)."""
    _HELD.pop(key, None)


def forget_held() -> None:
    """Drop every held value (tests, after changing what the shared cache holds)."""
    _HELD.clear()
