"""Shared-cache values held in this process for a few seconds.

A value that many requests read and that seldom changes (a list's count, a batch's "sold out",
the map tiles' version) costs a Redis round trip on every request; held here it costs a
dictionary lookup, for being up to the holding time older than the shared cache's copy. An
entry stays until replaced, so only values with few names belong here (the nearest search's
count, the batches that sold out), never one named after whatever a request sends. That the
shared cache holds nothing under a key may be remembered too, for a second or so, and for any
key: those are at most a thousand.
"""

import time

_HELD: dict[str, tuple[float, object]] = {}
# Keys the shared cache did not hold, with when to ask again. These may be named after what a
# request sends (a batch id), so there are never more than NOTHING_NAMES of them.
_NOTHING: dict[str, float] = {}
NOTHING_NAMES = 1024


def held_or_fetched(key: str, fetch, seconds: float, *, nothing_seconds: float = 0.0):
    """The value held under `key`, else `fetch()`, which is then held for `seconds`. A None from
    `fetch()` is remembered for `nothing_seconds` (None is returned without fetching meanwhile)."""
    now = time.monotonic()
    held = _HELD.get(key)
    if held is not None and held[0] > now:
        return held[1]
    if nothing_seconds and _NOTHING.get(key, 0.0) > now:
        return None
    value = fetch()
    if value is not None:
        hold(key, value, seconds)
    elif nothing_seconds:
        if len(_NOTHING) >= NOTHING_NAMES:
            _NOTHING.clear()
        _NOTHING[key] = now + nothing_seconds
    return value


def hold(key: str, value, seconds: float) -> None:
    _HELD[key] = (time.monotonic() + seconds, value)
    _NOTHING.pop(key, None)


def drop_held(key: str) -> None:
    """Forget one held value: the next reader fetches it (after this process changed it)."""
    _HELD.pop(key, None)
    _NOTHING.pop(key, None)


def forget_held() -> None:
    """Drop every held value (tests, after changing what the shared cache holds)."""
    _HELD.clear()
    _NOTHING.clear()
