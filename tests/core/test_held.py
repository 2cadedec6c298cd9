"""Values held in the process: what the shared cache did not hold is remembered briefly, and
never for more than NOTHING_NAMES keys."""

from unionportal.core import held


def test_nothing_is_remembered_only_when_asked_and_a_value_replaces_it():
    fetched = []

    def fetch():
        fetched.append(1)

    assert held.held_or_fetched("k", fetch, 5) is None
    assert held.held_or_fetched("k", fetch, 5) is None
    assert len(fetched) == 2  # without nothing_seconds, every call asks
    for _ in range(3):
        assert held.held_or_fetched("n", fetch, 5, nothing_seconds=60) is None
    assert len(fetched) == 3
    held.hold("n", "sold out", 5)
    assert held.held_or_fetched("n", fetch, 5, nothing_seconds=60) == "sold out"
    held.drop_held("n")
    assert held.held_or_fetched("n", fetch, 5, nothing_seconds=60) is None and len(fetched) == 4


def test_nothing_expires_and_its_names_are_bounded(monkeypatch):
    fetched = []
    clock = [100.0]
    monkeypatch.setattr(held.time, "monotonic", lambda: clock[0])
    held.held_or_fetched("k", lambda: fetched.append(1), 5, nothing_seconds=1)
    clock[0] += 1.5
    held.held_or_fetched("k", lambda: fetched.append(1), 5, nothing_seconds=1)
    assert len(fetched) == 2
    for n in range(held.NOTHING_NAMES * 3):
        held.held_or_fetched(f"batch:{n}", lambda: None, 5, nothing_seconds=60)
        assert len(held._NOTHING) <= held.NOTHING_NAMES
