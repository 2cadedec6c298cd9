"""Rate-limit counts batched per process (core.rate_counts), against the real Redis.

Each RateCounts stands for one web process; several share the one Redis, as processes do.
"""

import threading
import time
import uuid

import pytest
from django.core.cache import cache

from unionportal.core import rate_counts
from unionportal.core.rate_counts import LAZY_PER_CALLER, RateCounts, lazy_allowance

pytestmark = pytest.mark.django_db


def _client():
    return cache.client.get_client(write=True)


def _book():
    return RateCounts(_client)


def _keys():
    name = uuid.uuid4().hex
    return cache.make_key(f"rate-test:{name}:2"), cache.make_key(f"rate-test:{name}:1")


def _allowed(book, keys, limit, times):
    """How many of `times` requests the book lets through under `limit` (as the throttle decides)."""
    return sum(
        book.count(*keys, limit=limit, overlap=0.5, lifetime=120, ends=time.time() + 120) <= limit
        for _ in range(times)
    )


def _in_redis(key) -> int:
    return int(_client().get(key) or 0)


def test_one_process_lets_through_exactly_the_limit_and_redis_ends_with_every_attempt():
    book, keys = _book(), _keys()
    assert _allowed(book, keys, limit=10, times=15) == 10
    book.flush()
    assert _in_redis(keys[0]) == 15  # refused attempts count too, as before


def test_a_callers_first_requests_reach_redis_with_the_next_flush():
    book, keys = _book(), _keys()
    assert _allowed(book, keys, limit=100, times=2) == 2
    assert _in_redis(keys[0]) == 0  # held in the process
    book.flush()
    assert _in_redis(keys[0]) == 2
    book.flush()  # nothing held: nothing added twice
    assert _in_redis(keys[0]) == 2


def test_a_busy_caller_costs_one_round_trip_per_flush():
    """A caller with a high limit (many phones behind one address, a partner's busy key) is held
    for up to 1 % of it: a hundred requests reach Redis in one flush."""
    book, keys = _book(), _keys()
    assert lazy_allowance(10_000) == 100 and lazy_allowance(300) == LAZY_PER_CALLER
    assert _allowed(book, keys, limit=10_000, times=100) == 100
    assert _in_redis(keys[0]) == 0
    book.flush()
    assert _in_redis(keys[0]) == 100


def test_a_refusal_rests_on_the_shared_count():
    """Other processes have used up the caller's limit: this one lets through at most its few
    uncounted requests, then asks Redis and refuses."""
    keys = _keys()
    _client().set(keys[0], 50)
    book = _book()
    assert _allowed(book, keys, limit=50, times=20) <= LAZY_PER_CALLER


def test_the_previous_window_counts_as_much_as_it_still_overlaps():
    keys = _keys()
    _client().set(keys[1], 40)  # the window before: 40 requests, half of it still in the sliding window
    book = _book()
    # 20 from the previous window: 30 more fit a limit of 50, give or take the few held here.
    allowed = _allowed(book, keys, limit=50, times=60)
    assert 30 <= allowed <= 30 + LAZY_PER_CALLER


def test_several_processes_together_exceed_a_limit_by_at_most_their_held_requests():
    books, keys = [_book() for _ in range(4)], _keys()
    allowed = 0
    for _round in range(30):  # the processes take turns, as a balancer spreads a caller's calls
        for book in books:
            allowed += _allowed(book, keys, limit=40, times=1)
    for book in books:
        book.flush()
    assert 40 <= allowed <= 40 + 4 * LAZY_PER_CALLER
    assert _in_redis(keys[0]) == 120


def test_with_a_high_limit_processes_exceed_it_by_at_most_their_allowances():
    books, keys = [_book() for _ in range(4)], _keys()
    allowed = sum(_allowed(book, keys, limit=1000, times=1) for _round in range(400) for book in books)
    for book in books:
        book.flush()
    assert 1000 <= allowed <= 1000 + 4 * lazy_allowance(1000)
    assert _in_redis(keys[0]) == 1600


@pytest.mark.parametrize("limit", [60, 1000])
def test_concurrent_threads_of_one_process_stay_within_the_limit(limit):
    book, keys = _book(), _keys()
    allowed, start = [], threading.Barrier(8)
    attempts = limit * 10 // 3  # each of 8 threads: a little over the limit's share

    def caller():
        start.wait()
        allowed.append(_allowed(book, keys, limit=limit, times=attempts // 8))

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    book.flush()
    assert sum(allowed) == limit
    assert _in_redis(keys[0]) == attempts // 8 * 8


def test_past_the_memory_bound_new_callers_are_counted_in_redis_at_once(monkeypatch):
    monkeypatch.setattr(rate_counts, "MAX_CALLERS", 1)
    book, first, second = _book(), _keys(), _keys()
    _allowed(book, first, limit=100, times=1)
    _allowed(book, second, limit=100, times=1)
    assert _in_redis(first[0]) == 0 and _in_redis(second[0]) == 1


def test_counts_are_flushed_once_the_flush_interval_has_passed(monkeypatch):
    book, keys = _book(), _keys()
    _allowed(book, keys, limit=100, times=1)
    book.flush_if_due()
    assert _in_redis(keys[0]) == 0  # just flushed at creation: not due yet
    monkeypatch.setattr(rate_counts, "FLUSH_SECONDS", 0)
    book.flush_if_due()
    assert _in_redis(keys[0]) == 1


def test_windows_that_are_over_are_forgotten(monkeypatch):
    monkeypatch.setattr(rate_counts, "SWEEP_SECONDS", 0)
    book, keys = _book(), _keys()
    book.count(*keys, limit=100, overlap=0.5, lifetime=120, ends=time.time() - 1)
    book.flush()  # sends the held count, then the entry is over
    book.flush()
    assert book._callers == {}
    assert _in_redis(keys[0]) == 1


def test_without_redis_the_count_raises_and_the_held_requests_stay_held():
    def unreachable():
        raise ConnectionError("Redis is down")

    book, keys = RateCounts(unreachable), _keys()
    for _ in range(LAZY_PER_CALLER):
        book.count(*keys, limit=100, overlap=0.5, lifetime=120, ends=time.time() + 120)
    with pytest.raises(ConnectionError):
        book.count(*keys, limit=100, overlap=0.5, lifetime=120, ends=time.time() + 120)
    assert book._callers[keys[0]].pending == LAZY_PER_CALLER
    book.flush()  # logged and dropped, not raised
    assert book._callers[keys[0]].pending == 0


def test_one_send_in_flight_per_caller_and_the_flush_waits_for_it():
    """While one request's count is on its way to Redis, the caller's further requests are held
    (counted with the one in flight), and a flush leaves them for the next flush."""
    keys, answer_may_go = _keys(), threading.Event()

    def client_held_back():
        if threading.current_thread() is not threading.main_thread():
            assert answer_may_go.wait(5)
        return _client()

    book = RateCounts(client_held_back)
    _allowed(book, keys, limit=100, times=LAZY_PER_CALLER)  # held here
    sender = threading.Thread(target=_allowed, args=(book, keys, 100, 1))  # past the allowance: sent
    sender.start()
    for _ in range(100):
        if book._callers[keys[0]].sending:
            break
        time.sleep(0.01)
    assert book._callers[keys[0]].sending == LAZY_PER_CALLER + 1
    assert _allowed(book, keys, limit=100, times=1) == 1  # held, counted after the one in flight
    book.flush()
    assert _in_redis(keys[0]) == 0  # the flush left the caller alone
    answer_may_go.set()
    sender.join()
    assert _in_redis(keys[0]) == LAZY_PER_CALLER + 1
    book.flush()
    assert _in_redis(keys[0]) == LAZY_PER_CALLER + 2


def test_a_send_cut_short_leaves_no_request_waiting():
    """Even a send ended by something other than an error (a worker told to stop) is over: the
    caller's next requests do not wait on it."""

    class Stopped(BaseException):
        pass

    def stopping():
        raise Stopped

    book, keys = RateCounts(stopping), _keys()
    for _ in range(LAZY_PER_CALLER):
        book.count(*keys, limit=100, overlap=0.5, lifetime=120, ends=time.time() + 120)
    with pytest.raises(Stopped):
        book.count(*keys, limit=100, overlap=0.5, lifetime=120, ends=time.time() + 120)
    assert book._callers[keys[0]].sending == 0
    assert book._callers[keys[0]].pending == LAZY_PER_CALLER
