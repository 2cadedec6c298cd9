"""The machine's physical limits, for context beside the scenarios: PostgreSQL single-row
decrement and plain insert transactions per second (pgbench), and the Redis gate script
(redis-benchmark). Prints `LIMIT name= tps=` lines."""

import os
import re
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import psycopg

SECONDS = os.environ.get("BENCH_LIMIT_SECONDS", "10")
# The claim gate: take one from a counter, never below zero (as the coupon gate does).
GATE_SCRIPT = (
    "local left = redis.call('DECR', KEYS[1]) "
    "if left < 0 then redis.call('INCR', KEYS[1]) return -1 end return left"
)


def pg_bin(name: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").iterdir(), key=lambda p: int(p.name))
    return str(versions[-1] / "bin" / name)


def pgbench(url: str, script: str) -> float:
    parts = dj_database_url.parse(url)  # its host may be a socket's directory, which urlsplit mangles
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as file:
        file.write(script)
    env = dict(os.environ, PGPASSWORD=parts["PASSWORD"] or "")
    output = subprocess.run(
        [pg_bin("pgbench"), "-n", "-c", "8", "-j", "2", "-T", SECONDS, "-f", file.name,
         "-h", parts["HOST"], "-p", str(parts["PORT"] or 5432), "-U", parts["USER"], parts["NAME"]],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(file.name)
    return float(re.search(r"tps = ([\d.]+)", output).group(1))


def main() -> None:
    url = os.environ["DATABASE_URL"].replace("postgis://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("create table if not exists bench_counter (id int primary key, left_count bigint)")
        connection.execute("insert into bench_counter values (1, 1000000000) on conflict (id) do update set left_count = 1000000000")
        connection.execute("create table if not exists bench_insert (id bigserial primary key, member_id int, created_at timestamptz default now())")
    decrement = pgbench(url, "UPDATE bench_counter SET left_count = left_count - 1 WHERE id = 1 AND left_count > 0;\n")
    print(f"LIMIT name=pgbench_single_row_decrement tps={decrement:.0f}", flush=True)
    insert = pgbench(url, "\\set member random(1, 2000000)\nINSERT INTO bench_insert (member_id) VALUES (:member);\n")
    print(f"LIMIT name=pgbench_insert tps={insert:.0f}", flush=True)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("drop table bench_counter, bench_insert")

    redis = urlsplit(os.environ["REDIS_URL"])
    subprocess.run(["redis-cli", "-h", redis.hostname, "-p", str(redis.port), "SET", "bench:gate", "1000000000"],
                   capture_output=True, check=True)
    output = subprocess.run(
        ["redis-benchmark", "-h", redis.hostname, "-p", str(redis.port), "-n", "200000", "-c", "50", "-q",
         "EVAL", GATE_SCRIPT, "1", "bench:gate"],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.findall(r"([\d.]+) requests per second", output)[-1])
    print(f"LIMIT name=redis_gate_script ops={rps:.0f}", flush=True)


if __name__ == "__main__":
    main()
