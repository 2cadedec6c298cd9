"""Load scenarios against the running portal, measured with wrk, reported as ratios to hello.

Each scenario runs three times and reports the median run (by requests per second). A bare
Django view ("hello") is measured at the start and at the end; absolute numbers on shared
machines drift, ratios to hello in the same run do not. Exit status 1 when a target is missed.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench import cpu

HERE = Path(__file__).resolve().parent
BASE_URL = os.environ.get("BENCH_URL", "http://127.0.0.1:8100")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = 2
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
# The served portal's gunicorn master (bench/run.sh), whose workers' CPU time is read.
SERVER_PID = int(os.environ["BENCH_SERVER_PID"]) if os.environ.get("BENCH_SERVER_PID") else None


@dataclass
class Job:
    """What wrk sends: one GET path, or a file of request lines taken in turn."""

    path: str = "/"
    auth: str = ""
    lines: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    name: str
    job: callable  # (fixtures, run number) -> Job
    min_ratio: float | None = None
    max_p99_vs_hello: float | None = None
    runs: int = RUNS
    seconds: int = SECONDS
    connections: int = CONNECTIONS


def run_wrk(job: Job, seconds: int, connections: int = CONNECTIONS) -> dict:
    env = dict(os.environ, BENCH_LUA_DIR=str(HERE / "wrk"), BENCH_THREADS=str(THREADS))
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as lines_file:
        lines_file.write("\n".join(job.lines))
    if job.lines:
        script = HERE / "wrk" / "rotate.lua"
        env["BENCH_LINES"] = lines_file.name
    else:
        script = HERE / "wrk" / "get.lua"
        env.update(BENCH_PATH=job.path, BENCH_AUTH=job.auth)
    try:
        output = subprocess.run(
            ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), BASE_URL],
            env=env, capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(lines_file.name)
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    result["errors"] = result["server_errors"] + result["socket_errors"] + result["timeouts"]
    return result


def measure(scenario: Scenario, fixtures: dict) -> dict:
    before = cpu.snapshot(SERVER_PID)
    runs = [run_wrk(scenario.job(fixtures, run), scenario.seconds, scenario.connections) for run in range(scenario.runs)]
    # CPU per answer over all the runs (the jobs are written before each run, outside wrk's time,
    # but inside this window: their few milliseconds are in no process counted here).
    cpu_us = cpu.per_answer_us(before, cpu.snapshot(SERVER_PID), sum(run["requests"] for run in runs))
    median = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
    median["errors"] = sum(run["errors"] for run in runs)
    median["cpu_us"] = cpu_us
    return median


def result_line(name: str, result: dict, ratio: float | None = None) -> str:
    line = (
        f"RESULT name={name} rps={result['rps']:.1f} p50_ms={result['p50_us'] / 1000:.1f} "
        f"p95_ms={result['p95_us'] / 1000:.1f} p99_ms={result['p99_us'] / 1000:.1f} errors={result['errors']}"
    )
    statuses = ",".join(f"{status}:{count}" for status, count in sorted(result["statuses"].items()))
    return line + f" statuses={statuses}" + (f" ratio={ratio:.2f}" if ratio is not None else "")


def hello_job(fixtures, run) -> Job:
    return Job(path="/hello")


def me_job(fixtures, run) -> Job:
    return Job(lines=[f"GET\t/api/v1/me/\tBearer {token}\t\t" for token in fixtures["member_tokens"]])


def _city_points(count: int, seed: int = 7):
    import random

    rng = random.Random(seed)
    return [(24.874 + rng.uniform(-0.3, 0.3), 118.676 + rng.uniform(-0.3, 0.3)) for _ in range(count)]


def nearest_stations_job(fixtures, run) -> Job:
    return Job(lines=[
        f"GET\t/api/v1/stations/?near={lat:.5f},{lng:.5f}&page_size=20\t\t\t" for lat, lng in _city_points(5000)
    ])


def geojson_viewport_job(fixtures, run) -> Job:
    # A phone's city viewport: about 4 × 7 km around a point.
    return Job(lines=[
        f"GET\t/api/v1/stations/geojson/?bbox={lng - 0.035:.5f},{lat - 0.02:.5f},{lng + 0.035:.5f},{lat + 0.02:.5f}\t\t\t"
        for lat, lng in _city_points(2000, seed=8)
    ])


def claim_job(fixtures, run) -> Job:
    # A fresh batch per run, every request another member: each one a real claim.
    batch = fixtures["claim_batches"][run % len(fixtures["claim_batches"])]
    return Job(lines=[f"POST\t/api/v1/coupon-batches/{batch}/claim/\tBearer {token}\t\t"
                      for token in fixtures["member_tokens"]])


def sold_out_job(fixtures, run) -> Job:
    batch = fixtures["sold_out_batch"]
    return Job(lines=[f"POST\t/api/v1/coupon-batches/{batch}/claim/\tBearer {token}\t\t"
                      for token in fixtures["member_tokens"][1:]])


def my_coupons_job(fixtures, run) -> Job:
    # Members no other scenario claims for: their lists are the same length in every run.
    return Job(lines=[f"GET\t/api/v1/me/coupons/\tBearer {token}\t\t" for token in fixtures["holder_tokens"]])


def redeem_job(fixtures, run) -> Job:
    codes = fixtures["redeem_codes"][run % len(fixtures["redeem_codes"])]
    key = fixtures["partner_key"]
    return Job(lines=[
        f"POST\t/api/v1/coupons/redeem/\tApi-Key {key}\t{json.dumps({'code': code})}\tbench-{run}-{code}"
        for code in codes
    ])


def login_job(fixtures, run) -> Job:
    # Bench members' phones are 17 followed by their serial (bench/generate.py).
    return Job(lines=[
        f"POST\t/api/v1/auth/token/\t\t{json.dumps({'phone': f'17{serial:09d}', 'password': fixtures['password']})}\t"
        for serial in range(run * 5000, run * 5000 + 5000)
    ])


def registration_job(fixtures, run) -> Job:
    """New members joining, each with a valid, so far unused ID number and phone."""
    import random
    from datetime import date, timedelta

    from members.rules import id_number_check_character

    rng = random.SystemRandom()  # another stretch of numbers every bench run
    start, phone_start = rng.randrange(13_000_000), rng.randrange(10**9 - 10_000)
    lines = []
    for offset in range(5000):
        serial = start + offset
        birth = date(1966, 1, 1) + timedelta(days=(serial // 1000) % (365 * 38))
        body = f"350598{birth:%Y%m%d}{serial % 1000:03d}"  # an area code the bench members do not use
        payload = {
            "name": "压测新会员", "id_number": body + id_number_check_character(body),
            "phone": f"19{phone_start + offset:09d}", "password": "a-new-password-2026",
            "organization": fixtures["registration_union"], "worker_category": "employee", "consent": True,
        }
        lines.append(f"POST\t/api/v1/members/register/\t\t{json.dumps(payload, ensure_ascii=False)}\t")
    return Job(lines=lines)


SCENARIOS = [
    Scenario("coupon_claim_first_come", claim_job, min_ratio=0.40),
    Scenario("coupon_claim_sold_out", sold_out_job, min_ratio=0.70, max_p99_vs_hello=2.0),
    Scenario("nearest_stations", nearest_stations_job, min_ratio=0.50),
    Scenario("stations_geojson_viewport", geojson_viewport_job, min_ratio=0.30),
    Scenario("me", me_job, min_ratio=0.40),
    Scenario("my_coupons", my_coupons_job, min_ratio=0.40),
    Scenario("coupon_redeem", redeem_job, min_ratio=0.30),
    # Password hashing is deliberately slow (PBKDF2, a CPU-second or so per answer here):
    # reported, not held to a ratio; a few clients for longer, so that answers complete.
    Scenario("login", login_job, runs=1, seconds=3 * SECONDS, connections=4),
    Scenario("registration", registration_job, runs=1, seconds=3 * SECONDS, connections=4),
]


def main() -> int:
    fixtures = json.loads((HERE / "out" / "fixtures.json").read_text())
    hello_start = measure(Scenario("hello", hello_job), fixtures)
    print(result_line("hello_start", hello_start), flush=True)
    wanted = set(sys.argv[1:])  # `python -m bench.scenarios me login`: only those
    results = [(scenario, measure(scenario, fixtures)) for scenario in SCENARIOS if not wanted or scenario.name in wanted]
    hello_end = measure(Scenario("hello", hello_job), fixtures)
    print(result_line("hello_end", hello_end), flush=True)
    hello_rps = statistics.mean([hello_start["rps"], hello_end["rps"]])
    hello_p99 = max(hello_start["p99_us"], hello_end["p99_us"])
    missed = []
    for scenario, result in results:
        ratio = result["rps"] / hello_rps
        print(result_line(scenario.name, result, ratio), flush=True)
        if scenario.min_ratio is not None and ratio < scenario.min_ratio:
            missed.append(f"{scenario.name}: ratio {ratio:.2f} < {scenario.min_ratio}")
        if scenario.max_p99_vs_hello is not None and result["p99_us"] > scenario.max_p99_vs_hello * hello_p99:
            missed.append(f"{scenario.name}: p99 {result['p99_us'] / 1000:.1f} ms > {scenario.max_p99_vs_hello} × hello's")
        if result["errors"]:
            missed.append(f"{scenario.name}: {result['errors']} errors")
    measured = [("hello_start", hello_start), ("hello_end", hello_end)] + [(sc.name, result) for sc, result in results]
    for name, result in measured:
        print(cpu.cpu_line(name, result["cpu_us"], SERVER_PID is not None), flush=True)
    for line in missed:
        print(f"MISSED {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
