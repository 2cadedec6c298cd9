"""Instructions per answer, counted by valgrind: a measure of the portal's own cost that does not
drift with the machine.

CPU time on a shared machine moves by half between runs, and a ratio to hello with it; the
number of instructions a process executes for the same answers on the same data moves by a
few per cent at most (hash seeds, garbage collection). Each scenario's requests go through
the portal's WSGI handler (unionportal.wsgi) in one Python process (no gunicorn, no wrk, no
network), twice under callgrind: once with FEW answers and once with MANY, after the same
warm-up. The difference over MANY - FEW is what one answer costs the portal's process.
PostgreSQL's and Redis's own work is not in it (the CPU lines of bench.scenarios give theirs).

Claims and redemptions change data: each of their answers must be a new claim or a first
redemption. They take their lines from the far end of the last run's job (another member per
claim, another code per redemption), the two counted processes from separate stretches. Both
`make bench` and `make bench-instructions` make fresh batches and codes before they start
(bench/generate.py), so neither meets what the other used up. The map viewport is left out:
a process holds its tiles for seconds of wall time (stations.map_tiles), which valgrind
stretches fifty-fold, so its count would be one of tiles read again rather than of the answers
phones get.

    python -m bench.instructions [scenario …]     (make bench-instructions)

prints `INSTR name= k_per_answer= hellos=` per scenario; hellos is the count over hello's.
"""

import io
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import scenarios
from bench.django_process import freeze_like_the_server, setup_django

HERE = Path(__file__).resolve().parent
# Each with the status every one of its answers must have.
COUNTED = {
    "hello": 200, "me": 200, "my_coupons": 200, "coupon_claim_sold_out": 409, "nearest_stations": 200,
    "coupon_claim_first_come": 201, "coupon_redeem": 200,
}
# Scenarios whose every answer changes data: no line may be answered twice.
CHANGING = {"coupon_claim_first_come", "coupon_redeem"}
WARM, FEW, MANY = 60, 40, 240
RUNS_OF_CHANGING = 3  # batches to claim from and lists of codes to redeem (bench/generate.py)
_COLLECTED = re.compile(r"Collected : (\d+)")


def job_lines(name: str, count: int) -> list[str]:
    """The request lines of a process that answers WARM + `count` requests, taken in turn."""
    fixtures = json.loads((HERE / "out" / "fixtures.json").read_text())
    if name == "hello":
        return [f"GET\t{scenarios.hello_job(fixtures, 0).path}\t\t\t"]
    scenario = next(scenario for scenario in scenarios.SCENARIOS if scenario.name == name)
    if name not in CHANGING:
        job = scenario.job(fixtures, 0)
        return job.lines or [f"GET\t{job.path}\t{job.auth}\t\t"]
    # The last run's job, from its far end: the MANY process's lines last, the FEW process's
    # just before them.
    lines = scenario.job(fixtures, RUNS_OF_CHANGING - 1).lines
    end = len(lines) - (0 if count == MANY else WARM + MANY)
    return lines[end - WARM - count:end]


def answer(application, line: str) -> int:
    """One request line as wrk sends it (bench/wrk/rotate.lua), through the WSGI handler."""
    method, path, auth, body, idempotency_key = (line.split("\t") + [""] * 5)[:5]
    path, _question, query = path.partition("?")
    body = body.encode()
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
    }
    if auth:
        environ["HTTP_AUTHORIZATION"] = auth
    if idempotency_key:
        environ["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
    statuses = []
    chunks = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return int(statuses[0].split()[0])


def serve(name: str, count: int) -> None:
    """In the process valgrind counts: WARM answers, then `count` more."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionportal.settings")
    setup_django()
    from unionportal.core.handler import PortalWSGIHandler  # what gunicorn serves (unionportal.wsgi)

    # Without it a full collection of everything imported fell between the FEW and the MANY
    # answers or did not, and moved a count by a fifth.
    freeze_like_the_server()

    application, lines = PortalWSGIHandler(), job_lines(name, count)
    wrong = [
        status for position in range(WARM + count)
        if (status := answer(application, lines[position % len(lines)])) != COUNTED[name]
    ]
    if wrong:
        sys.exit(f"{name}: {len(wrong)} answers were not {COUNTED[name]} (first {wrong[0]})")


def counted(name: str, count: int) -> int:
    """Instructions callgrind counted for a process that answers WARM + `count` requests."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-m", "bench.instructions", "--serve", name, str(count)],
        capture_output=True, text=True,
    )
    found = _COLLECTED.search(done.stderr)
    if done.returncode or not found:
        raise RuntimeError(f"{name}: valgrind run failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_answer(name: str) -> float:
    with ThreadPoolExecutor(2) as pool:  # the two runs side by side: counts do not depend on load
        few, many = pool.map(lambda count: counted(name, count), (FEW, MANY))
    return (many - few) / (MANY - FEW)


def main(names: list[str]) -> int:
    unknown = set(names) - set(COUNTED)
    if unknown:
        print(f"Not counted (the map viewport, or no such scenario): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    hello = per_answer("hello")
    print(f"INSTR name=hello k_per_answer={hello / 1000:.0f} hellos=1.00", flush=True)
    for name in names or [name for name in COUNTED if name != "hello"]:
        if name != "hello":
            count = per_answer(name)
            print(f"INSTR name={name} k_per_answer={count / 1000:.0f} hellos={count / hello:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main(sys.argv[1:]))
