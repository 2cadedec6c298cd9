"""Rate-limit counts kept in Redis, with a caller's requests counted in batches.

Counting every API call with its own Redis round trip cost a light answer such as `/me` about a
fifth of its CPU. So each process lets a caller make a few requests without asking Redis
(`lazy_allowance`: 1 % of the caller's limit, at least `LAZY_PER_CALLER`): they are allowed
when the count this process last learned for the caller, plus what it has counted and sent
since, stays within the limit; the first request after `FLUSH_SECONDS` adds every caller's held
counts to Redis in one script call. A request past the allowance, and every request that could
cross the limit, is counted in Redis at once and decided on Redis's count, so a refusal always
rests on the shared count. A process has at most one send in flight per caller (a request that
must be sent while one is waits for its answer): each answer then holds every earlier count of
this process, and the process's own count stays exact.

What that costs in precision: at any moment each process holds at most a caller's allowance of
requests not yet in Redis, so a caller gets at most that many answers per web process beyond
its limit (4 to 12 at the default limits), and a process that dies loses at most that many of
each caller's counts. A busy caller (one address behind which many phones share a carrier's gateway,
a partner's busy key) costs one round trip per flush instead of one per request.
"""

import logging
import threading
import time
from dataclasses import dataclass

logger = logging.getLogger(__name__)

LAZY_PER_CALLER = 4
LAZY_SHARE_OF_LIMIT = 0.01
FLUSH_SECONDS = 0.1
# Callers remembered per process before new ones are counted in Redis at once: a bound on memory.
MAX_CALLERS = 50_000
# How often the callers whose windows are over are forgotten (a walk over all of them).
SWEEP_SECONDS = 10

# KEYS: this window's counter, the previous window's. ARGV: how many to add, the counter's life.
# Answers this window's count and the previous window's.
_COUNT_LUA = """
local current = redis.call('INCRBY', KEYS[1], ARGV[1])
if current == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return {current, redis.call('GET', KEYS[2]) or 0}
"""
# KEYS: counters. ARGV: for each, how many to add and its life. Answers each new count.
_ADD_LUA = """
local counts = {}
for index, key in ipairs(KEYS) do
  local added = tonumber(ARGV[2 * index - 1])
  local current = redis.call('INCRBY', key, added)
  if current == added then redis.call('EXPIRE', key, ARGV[2 * index]) end
  counts[index] = current
end
return counts
"""


@dataclass
class _Caller:
    known: int  # this window's count in Redis when this process last learned it
    previous: int  # the previous window's count, as last learned (0 when never asked)
    lifetime: int  # the counter's life in Redis, in seconds
    ends: float  # when this window and the next are over: the entry is dropped then
    pending: int = 0  # counted here, not yet sent to Redis
    sending: int = 0  # sent to Redis (one send at a time), the answer not yet back

    def estimate(self, overlap: float) -> float:
        """The sliding window's count as this process knows it."""
        return self.previous * overlap + self.known + self.sending + self.pending


def lazy_allowance(limit: int) -> int:
    """How many of a caller's requests a process may hold uncounted in Redis."""
    return max(LAZY_PER_CALLER, int(limit * LAZY_SHARE_OF_LIMIT))


class RateCounts:
    """One process's book of callers' counts (module-level in core.throttling; tests make their
    own, one per process they stand for)."""

    def __init__(self, client_for):
        self._client_for = client_for  # () -> a Redis client
        self._callers: dict[str, _Caller] = {}
        self._waiting: set[str] = set()  # callers with counts held here
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)  # a send came back
        self._flushed_at = self._swept_at = time.monotonic()
        self._scripts = {}

    def count(self, key: str, previous_key: str, *, limit: int, overlap: float, lifetime: int, ends: float) -> float:
        """Count one request under `key` (this window's counter); answer the caller's estimated
        requests in the sliding window: this window's count plus `overlap` of the previous one's.
        Raises when Redis does not answer."""
        with self._lock:
            caller = self._callers.get(key)
            if caller is None and len(self._callers) < MAX_CALLERS:
                prior = self._callers.get(previous_key)  # the window before, if this process counted it
                caller = self._callers[key] = _Caller(0, prior.known + prior.pending if prior else 0, lifetime, ends)
            while caller is not None:
                if caller.pending < lazy_allowance(limit):
                    estimate = caller.estimate(overlap) + 1
                    if estimate <= limit:
                        caller.pending += 1
                        self._waiting.add(key)
                        return estimate
                if not caller.sending:
                    break
                self._answered.wait()
            adding = 1
            if caller is not None:
                adding, caller.pending = adding + caller.pending, 0
                caller.sending = adding
        current = previous = None
        try:
            client = self._client_for()
            current, previous = self._script(client, "count", _COUNT_LUA)(
                keys=[key, previous_key], args=[adding, lifetime], client=client,
            )
            current, previous = int(current), int(previous or 0)
        finally:  # whatever happened, the send is over: a request waiting on it must not wait forever
            if caller is not None:
                with self._lock:
                    caller.sending = 0
                    if current is None:  # the earlier requests stay counted here; this one goes through uncounted
                        caller.pending += adding - 1
                        if caller.pending:
                            self._waiting.add(key)
                    else:
                        caller.known, caller.previous = max(caller.known, current), previous
                    self._answered.notify_all()
        return previous * overlap + current

    def flush_if_due(self) -> None:
        """Send the counts held here to Redis if the last flush is `FLUSH_SECONDS` old."""
        if time.monotonic() - self._flushed_at >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Send every count held here to Redis, in one script call; forget windows that are over."""
        with self._lock:
            self._flushed_at = time.monotonic()
            if self._flushed_at - self._swept_at >= SWEEP_SECONDS:
                self._sweep()
            held, kept = [], set()
            for key in self._waiting:
                caller = self._callers.get(key)
                if caller is None or not caller.pending:
                    continue
                if caller.sending:  # one send at a time: these wait for the next flush
                    kept.add(key)
                else:
                    held.append((key, caller, caller.pending))
                    caller.pending, caller.sending = 0, caller.pending
            self._waiting = kept
        if not held:
            return
        args = []
        for _key, caller, pending in held:
            args += [pending, caller.lifetime]
        totals = [None] * len(held)
        try:
            client = self._client_for()
            totals = self._script(client, "add", _ADD_LUA)(keys=[key for key, _c, _p in held], args=args, client=client)
        except Exception:  # Redis away: the limits pause (core.throttling), and these counts are lost
            logger.warning("rate limit counters unavailable: %d callers' counts dropped", len(held))
        finally:  # the sends are over, answered or not
            with self._lock:
                for (_key, caller, _pending), total in zip(held, totals):
                    caller.sending = 0
                    if total is not None:
                        caller.known = max(caller.known, int(total))
                self._answered.notify_all()

    def _sweep(self) -> None:
        """Forget the callers whose windows are over (under the lock)."""
        self._swept_at, wall = time.monotonic(), time.time()
        for key in [key for key, caller in self._callers.items()
                    if caller.ends <= wall and not caller.pending and not caller.sending]:
            del self._callers[key]

    def forget(self) -> None:
        """Drop everything held (tests, after clearing Redis)."""
        with self._lock:
            self._callers.clear()
            self._waiting.clear()

    def _script(self, client, name: str, source: str):
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = client.register_script(source)
        return script
