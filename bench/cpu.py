"""CPU time per answer, by process: the portal's gunicorn, PostgreSQL, Redis and wrk.

A ratio to hello says how many hellos one answer costs but not where the time goes, and it
moves when hello's own cost moves. Reading each process's CPU time (Linux /proc) around a wrk
run tells which of the four spent it, in microseconds per answer, comparable between runs.
"""

import os
import resource
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
KINDS = ("gunicorn", "postgres", "redis", "wrk")


def _stat(pid: str) -> tuple[int, str, float] | None:
    """(parent pid, command name, CPU seconds) of a process, or None when it is gone. The CPU
    seconds include its children that have exited: a PostgreSQL backend whose connection
    closed, a recycled gunicorn worker (left out, they would make a process's total shrink)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), name, sum(int(ticks) for ticks in fields[11:15]) / _TICKS


def snapshot(server_pid: int | None) -> dict[str, float]:
    """CPU seconds so far: gunicorn's master and workers, every PostgreSQL and Redis server
    process on the machine, and this process's finished children (wrk)."""
    totals = dict.fromkeys(KINDS, 0.0)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        stat = _stat(pid)
        if stat is None:
            continue
        parent, name, seconds = stat
        if server_pid and (int(pid) == server_pid or parent == server_pid):
            totals["gunicorn"] += seconds
        elif name == "postgres":
            totals["postgres"] += seconds
        elif name.startswith("redis-server"):
            totals["redis"] += seconds
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    totals["wrk"] = children.ru_utime + children.ru_stime
    return totals


def per_answer_us(before: dict, after: dict, answers: int) -> dict[str, float]:
    return {kind: 1e6 * (after[kind] - before[kind]) / max(answers, 1) for kind in KINDS}


def cpu_line(name: str, per_answer: dict, server_known: bool) -> str:
    counted = [kind for kind in KINDS if kind != "gunicorn" or server_known]
    parts = [f"{kind}_us={per_answer[kind]:.0f}" if kind in counted else f"{kind}_us=n/a" for kind in KINDS]
    total = sum(per_answer[kind] for kind in counted)
    return f"CPU name={name} " + " ".join(parts) + f" total_us={total:.0f}"
