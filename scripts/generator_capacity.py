"""Generator capacity: one Locust process vs a master with 1 and 2 workers, with wrk as the reference.

    PYTHONPATH=. .venv/bin/python scripts/generator_capacity.py OUT_DIR [USERS] [REPETITIONS]

Loads the downstream service (GET /customers|/inventory/{id}?delayMs=0: Netty, no delay, the most
trivial endpoint the project has) on 127.0.0.1 after a 10 s JIT warm-up, 2 s settle + 10 s measured per
row, and prints a Markdown table. Needs java-apps/downstream/target/downstream.jar and wrk. Everything
runs on this machine: the generator and the server share its cores, so read the load average column.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness.jdks import find_jdk
from harness.level_id import LevelId
from harness.load.driver import LoadTarget, run_level
from harness.load.endpoints import DOWNSTREAM_MIX
from harness.load.workers import Distribution
from harness.metrics import summarise_level
from harness.processes import Supervisor, free_port, wait_for_port
from harness.sampling import ProcessSampler

REPO = Path(__file__).resolve().parents[1]


def _wrk(url: str, users: int) -> tuple[float, str, str]:
    out = subprocess.run(["wrk", "-t1", f"-c{users}", "-d10s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    rps = float(next(line.split()[1] for line in out if line.startswith("Requests/sec")))
    p50 = next(line.split()[1] for line in out if line.strip().startswith("50%"))
    p99 = next(line.split()[1] for line in out if line.strip().startswith("99%"))
    return rps, p50, p99


def main() -> None:
    out = Path(sys.argv[1])
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    repetitions = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    out.mkdir(parents=True, exist_ok=True)
    java = str(find_jdk(25).home / "bin" / "java")
    jar = REPO / "java-apps" / "downstream" / "target" / "downstream.jar"
    rows = []
    with Supervisor(grace_seconds=10) as supervisor, ProcessSampler(0.5) as sampler:
        port = free_port()
        server = supervisor.start("downstream", [java, "-Xms256m", "-Xmx256m", "-jar", str(jar)],
                                  env={**os.environ, "ORDERS_SERVER_PORT": str(port)}, log_path=out / "downstream.log")
        if not wait_for_port("127.0.0.1", port, 60, server):
            raise SystemExit(f"the downstream did not start: {server.log_tail()}")
        sampler.watch("downstream", server.pid)
        target = LoadTarget(base_url=f"http://127.0.0.1:{port}", order_id_max=1000, seed=42,
                            profile="downstream-warmup", mix=DOWNSTREAM_MIX, customer_id_max=1000)
        run_level(target, users, 0, 10, out, "warmup", supervisor, sampler)  # JIT, not measured
        for rep in range(1, repetitions + 1):
            load = os.getloadavg()[0]
            rps, p50, p99 = _wrk(f"http://127.0.0.1:{port}/customers/7?delayMs=0", users)
            rows.append(f"| wrk -t1 -c{users} (reference) | {rep} | {rps:,.0f} | {p50} | {p99} | – | – | – "
                        f"| {load:.1f} |")
            print(rows[-1], flush=True)
            for workers in (0, 1, 2):
                load = os.getloadavg()[0]
                recording = run_level(target, users, 2, 10, out, f"w{workers}-r{rep}", supervisor, sampler,
                                      distribution=Distribution(local=workers) if workers else None)
                start, end = recording.measured_start, recording.measured_end
                samples = {name: sampler.samples(name, start, end) for name in ("generator", "downstream")}
                result = summarise_level(LevelId(25, "downstream", users, rep), recording, samples)
                shares = " ".join(f"{w.worker.name} {w.cpu_pct_mean:.0f}%" for w in recording.workers) or "–"
                server_pct = 100 * (result.downstream_cpu_s or 0.0) / recording.seconds
                generator = "1 Locust process" if not workers else f"master + {workers} worker(s)"
                rows.append(f"| {generator} | {rep} | {result.throughput_rps:,.0f} | {result.p50_ms:.2f} ms | "
                            f"{result.p99_ms:.2f} ms | {result.generator_cpu_pct_mean}% ({shares}) | "
                            f"{result.generator_saturated} | {server_pct:.0f}% | {load:.1f} |")
                print(rows[-1], flush=True)
    print("| generator | rep | req/s | p50 | p99 | generator CPU, busiest (per worker) | saturated | server CPU "
          "| load avg 1 min |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
