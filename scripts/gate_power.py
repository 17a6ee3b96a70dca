"""Measure the power of the shipped CI gate: how often it passes A/A and fails A/B.

A study, not a test: it runs the harness several times and prints what the gate said. Each trial
runs the CI-gate scenario three times, back to back, in fresh harness processes:

    A   the scenario as shipped (the baseline),
    A'  the same again (a second run of the same build),
    B   the same with every downstream call slowed (10 -> 16 ms by default: about -30% throughput
        at 8 users, beyond the 25% tolerance of the throughput regression rule),

then gates A' and B against A with the shipped rules. A/A must pass, A/B must fail; the table at
the end counts false alarms (A/A failed) and misses (A/B passed), with the wall time of each run
and the verdicts behind every failure, so docs/ci-gate.md can quote them.

    .venv/bin/python scripts/gate_power.py --trials 3 --out results/gate-power
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class GateOutcome:
    trial: int
    pair: str  # "A/A" or "A/B"
    exit_code: int
    verdicts: dict[str, int]
    failing: list[str]  # "VERDICT rule [scope]: reason" of every evaluation that failed the gate
    throughput_changes: dict[str, float]  # scope -> relative change of the mean throughput

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


def _run(scenario: Path, results: Path, log: Path) -> tuple[Path, float]:
    started = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        code = subprocess.call([sys.executable, "-m", "harness", "run", str(scenario), "--results-dir", str(results)],
                               cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    wall = time.monotonic() - started
    if code != 0:
        raise SystemExit(f"harness run {scenario} exited {code}: see {log}")
    (run,) = [p for p in results.iterdir() if p.is_dir()]
    return run, wall


def _throughput_cv(run: Path) -> dict[str, float]:
    """Coefficient of variation of throughput over the repetitions, per variant and users."""
    by_scope: dict[str, list[float]] = {}
    with (run / "levels.csv").open() as handle:
        for row in csv.DictReader(handle):
            by_scope.setdefault(f"{row['variant']}@{row['users']}", []).append(float(row["throughput_rps"]))
    return {scope: statistics.stdev(v) / statistics.fmean(v) for scope, v in by_scope.items() if len(v) > 1}


def _gate(run: Path, baseline: Path, rules: Path, junit: Path) -> tuple[int, list[ET.Element]]:
    code = subprocess.call([sys.executable, "-m", "harness", "gate", str(run), "--rules", str(rules),
                            "--baseline", str(baseline), "--junit", str(junit)],
                           cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if code == 2 or not junit.exists():
        raise SystemExit(f"harness gate {run} exited {code} without a verdict (bad rules or baseline)")
    return code, list(ET.parse(junit).getroot().iter("testcase"))


def _throughput_changes(baseline: Path, run: Path, out: Path) -> dict[str, float]:
    subprocess.check_call([sys.executable, "-m", "harness", "compare", str(baseline), str(run), "--json", str(out)],
                          cwd=REPO, stdout=subprocess.DEVNULL)
    changes = json.loads(out.read_text())
    rows = changes["changes"]
    return {f"{r['variant']}@{r['users']}": r["change"] for r in rows
            if r["metric"] == "throughput_rps" and r["change"] is not None}


def _outcome(trial: int, pair: str, code: int, cases: list[ET.Element], changes: dict[str, float]) -> GateOutcome:
    verdicts: Counter[str] = Counter()
    failing = []
    for case in cases:
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        verdict = props.get("verdict") or "?"
        verdicts[verdict] += 1
        if case.find("failure") is not None:
            failing.append(f"{verdict} {case.get('name')}: {props.get('reason', '')}")
    return GateOutcome(trial, pair, code, dict(verdicts), failing, changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", type=Path, default=REPO / "scenarios" / "ci-gate.yaml")
    parser.add_argument("--rules", type=Path, default=REPO / "scenarios" / "ci-gate.rules.yaml")
    parser.add_argument("--slow-delay-ms", type=int, default=16, help="downstream delay of the B runs")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True, help="folder for the runs, logs and power.json")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=False)
    scenario = yaml.safe_load(args.scenario.read_text())
    slowed = args.out / "slowed.yaml"
    scenario["workload"]["downstream_delay_ms"] = args.slow_delay_ms
    slowed.write_text(yaml.safe_dump(scenario, sort_keys=False))

    outcomes: list[GateOutcome] = []
    walls: list[dict[str, float | str]] = []
    for trial in range(1, args.trials + 1):
        folder = args.out / f"trial-{trial}"
        runs: dict[str, Path] = {}
        for name, path in (("A", args.scenario), ("A2", args.scenario), ("B", slowed)):
            load = os.getloadavg()[0]
            runs[name], wall = _run(path, folder / name, folder / f"{name}.log")
            cv = _throughput_cv(runs[name])
            walls.append({"trial": trial, "run": name, "wall_s": round(wall, 1), "load_before": round(load, 2),
                          "max_cv": round(max(cv.values(), default=float("nan")), 4),
                          "cv": ", ".join(f"{k} {v:.1%}" for k, v in sorted(cv.items()))})
            print(f"trial {trial} run {name}: {wall:.0f} s (load average before {load:.1f})", flush=True)
        for pair, candidate in (("A/A", runs["A2"]), ("A/B", runs["B"])):
            tag = pair.replace("/", "")
            code, cases = _gate(candidate, runs["A"], args.rules, folder / f"gate-{tag}.xml")
            changes = _throughput_changes(runs["A"], candidate, folder / f"compare-{tag}.json")
            outcome = _outcome(trial, pair, code, cases, changes)
            outcomes.append(outcome)
            print(f"trial {trial} {pair}: {'PASS' if outcome.passed else 'FAIL'} {outcome.verdicts}", flush=True)
            for line in outcome.failing:
                print(f"    {line}", flush=True)

    (args.out / "power.json").write_text(json.dumps(
        {"outcomes": [asdict(o) | {"passed": o.passed} for o in outcomes], "runs": walls}, indent=2))
    false_alarms = sum(1 for o in outcomes if o.pair == "A/A" and not o.passed)
    misses = sum(1 for o in outcomes if o.pair == "A/B" and o.passed)
    print("\n| trial | pair | gate | verdicts | throughput change by scope |")
    print("|---:|---|---|---|---|")
    for o in outcomes:
        tally = ", ".join(f"{n} {v}" for v, n in sorted(o.verdicts.items()))
        moves = ", ".join(f"{k} {v:+.1%}" for k, v in sorted(o.throughput_changes.items()))
        print(f"| {o.trial} | {o.pair} | {'pass' if o.passed else 'FAIL'} | {tally} | {moves} |")
    print("\n| trial | run | wall s | load average before | throughput CV over repetitions |")
    print("|---:|---|---:|---:|---|")
    for w in walls:
        print(f"| {w['trial']} | {w['run']} | {w['wall_s']} | {w['load_before']} | {w['cv']} |")
    print(f"\nA/A false alarms: {false_alarms} of {args.trials}; A/B misses: {misses} of {args.trials}")


if __name__ == "__main__":
    main()
