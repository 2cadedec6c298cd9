"""Where a served answer's time goes: py-spy samples the gunicorn workers while wrk loads a scenario.

A ratio says how many hellos an answer costs, `make bench-instructions` how many instructions;
neither says which step of the answer spends them once it is served by gunicorn's threads. This
samples the running workers (`py-spy record --gil`: only the thread holding the interpreter, so
what is counted is Python's own time, not threads waiting for PostgreSQL or for their turn) and
writes, per scenario:

- `PROFILE name= samples= rps= gunicorn_us=`: how many stacks were sampled during the load, and
  the workers' CPU time per answer over it (read from /proc, as bench/cpu.py does);
- `STEP name= step= share= us=`: the samples by the innermost step of the answer they were in
  (`STEPS`): the server's own work, Django's handler and middleware, DRF's request set-up,
  authentication, throttling, the endpoint's own work, and writing the answer; as shares, and
  as those shares of the workers' CPU time per answer, to compare with hello's (sampled first).
  A sample is the thread holding the interpreter lock, which on a busy machine is not always
  running: the shares hold, but only /proc says how much CPU;
- `TOP name= share= function=`: the functions the interpreter spent most time in (self time);
- `bench/out/profile-<name>.txt`: every sampled stack, collapsed (the format flame-graph tools
  such as flamegraph.pl or speedscope read).

py-spy takes CPU of its own on a small machine, so the load's requests per second are lower
than in `make bench`; the shares are what this is for.

    python -m bench.served_profile [scenario …]     (make bench-profile; default: every ratio scenario)

Hello is always sampled first.
"""

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from bench import cpu, scenarios

HERE = Path(__file__).resolve().parent
SECONDS = int(os.environ.get("BENCH_PROFILE_SECONDS", "8"))
RATE = 97  # samples a second per process; more than this and py-spy falls behind on two cores
# wrk's load before sampling starts (the workers' first answers load modules); with SECONDS, a
# load as long as one of `make bench`'s runs, so a claim or redemption job's lines last it out.
WARM_SECONDS = 2

# The steps of an answer, outermost first: a sample belongs to the innermost step whose marker
# one of its frames contains (a frame reads "function (path:line)").
STEPS = [
    ("server", ()),  # gunicorn reading the request and writing the answer; logging it
    ("django", ("(django/core/handlers/",)),
    ("drf", ("APIView.dispatch (rest_framework/views.py",)),
    ("authentication", ("(unionportal/core/authentication.py", "(unionportal/core/token_lookup.py")),
    ("throttling", ("check_throttles (rest_framework/views.py",)),
    ("endpoint", ("(benefits/", "(stations/", "(members/", "(convalescence/")),
    ("answer", ("json_answer (unionportal/core/answers.py", "(rest_framework/renderers.py")),
]


def innermost_step(frames: list[str]) -> str:
    """The step of the innermost frame that marks one (frames run outermost first)."""
    for frame in reversed(frames):
        for name, markers in reversed(STEPS[1:]):
            if any(marker in frame for marker in markers):
                return name
    return STEPS[0][0]


def read_stacks(path: Path) -> Counter:
    """Collapsed stacks (`frame;frame;… count`) without the process names py-spy puts first."""
    stacks = Counter()
    for line in path.read_text().splitlines():
        stack, _space, count = line.rpartition(" ")
        frames = tuple(frame for frame in stack.split(";") if not frame.startswith("process "))
        if frames and count.isdigit():
            stacks[frames] += int(count)
    return stacks


def summary(stacks: Counter, top: int = 12) -> tuple[int, Counter, Counter]:
    """(samples, samples per step, self samples per innermost function)."""
    steps, functions = Counter(), Counter()
    for frames, count in stacks.items():
        steps[innermost_step(list(frames))] += count
        functions[frames[-1]] += count
    return sum(stacks.values()), steps, Counter(dict(functions.most_common(top)))


def record(scenario: scenarios.Scenario, fixtures: dict, server_pid: int) -> tuple[Path, dict]:
    """Load the portal with the scenario's job for WARM_SECONDS + SECONDS, sampling the last
    SECONDS; the load's wrk result, with the workers' CPU time per answer (`cpu_us`)."""
    out = HERE / "out" / f"profile-{scenario.name}.txt"
    out.parent.mkdir(exist_ok=True)
    result = {}
    before = cpu.snapshot(server_pid)
    load = threading.Thread(target=lambda: result.update(
        scenarios.run_wrk(scenario.job(fixtures, 0), WARM_SECONDS + SECONDS + 1, scenario.connections),
    ))
    load.start()
    threading.Event().wait(WARM_SECONDS)
    subprocess.run(
        ["py-spy", "record", "--pid", str(server_pid), "--subprocesses", "--gil", "--nonblocking",
         "--rate", str(RATE), "--duration", str(SECONDS), "--format", "raw", "--output", str(out)],
        check=True, capture_output=True,
    )
    load.join()
    result["cpu_us"] = cpu.per_answer_us(before, cpu.snapshot(server_pid), result["requests"])["gunicorn"]
    return out, result


def main(names: list[str]) -> int:
    server_pid = scenarios.SERVER_PID
    if server_pid is None:
        print("BENCH_SERVER_PID must name the served portal's gunicorn master (bench/profile.sh)", file=sys.stderr)
        return 2
    fixtures = json.loads((HERE / "out" / "fixtures.json").read_text())
    chosen = [s for s in scenarios.SCENARIOS if s.min_ratio is not None and (not names or s.name in names)]
    unknown = set(names) - {s.name for s in chosen}
    if unknown:
        print(f"No such ratio scenario: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for scenario in [scenarios.Scenario("hello", scenarios.hello_job), *chosen]:
        path, load = record(scenario, fixtures, server_pid)
        samples, steps, functions = summary(read_stacks(path))
        print(f"PROFILE name={scenario.name} samples={samples} rps={load['rps']:.1f}"
              f" gunicorn_us={load['cpu_us']:.0f} file={path.relative_to(HERE.parent)}", flush=True)
        for name, _markers in STEPS:
            share = steps[name] / max(samples, 1)
            print(f"STEP name={scenario.name} step={name} share={100 * share:.1f}% us={share * load['cpu_us']:.0f}")
        for function, count in functions.most_common():
            print(f"TOP name={scenario.name} share={100 * count / max(samples, 1):.1f}% function={function}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
