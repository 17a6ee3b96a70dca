from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.metrics import LevelResult, warnings_for
from harness.report.summary import render_summary, write_summary
from harness.results.layout import create
from harness.results.manifest import Manifest, ManifestWriter
from harness.results.tables import LevelTable
from harness.scenario import parse_scenario

SCENARIO = parse_scenario(
    {
        "name": "quick",
        "description": "Two 20 ms downstream calls per order.",
        "variants": ["mvc-platform", "webflux"],
        "load": {"levels": [64], "repetitions": 3},
    }
)

BASE = LevelResult(
    jdk=25,
    variant="mvc-platform",
    users=64,
    repetition=1,
    started_at="2026-11-26T22:43:05.123Z",
    seconds=20.0,
    requests=20_000,
    errors=0,
    error_rate=0.0,
    error_kinds={},
    throughput_rps=1000.0,
    mean_ms=64.0,
    p50_ms=60.0,
    p90_ms=62.0,
    p99_ms=70.0,
    p999_ms=90.0,
    max_ms=120.0,
    app_rss_mb_max=300.0,
    app_cpu_s=12.0,
    app_cpu_s_per_1k_requests=0.6,
    downstream_cpu_s=4.0,
    postgres_cpu_s=3.0,
    generator_cpu_pct_mean=40.0,
    generator_cpu_pct_max=55.0,
    generator_saturated=False,
    littles_law_users=64.0,
    littles_law_deviation=0.0,
    littles_law_ok=True,
)


def runtime(variant: str, **over: Any) -> dict[str, Any]:
    mvc = variant.startswith("mvc")
    info: dict[str, Any] = {
        "variant": variant,
        "server": "tomcat" if mvc else "netty",
        "virtualThreads": False,
        "tomcat": {
            "maxThreads": 32,
            "minSpareThreads": 32,
            "maxConnections": 10000,
            "acceptCount": 1000,
            "executor": "ThreadPoolExecutor",
        }
        if mvc
        else None,
        "nettyIoWorkers": None if mvc else 4,
        "dbPool": {
            "kind": "hikari" if mvc else "r2dbc-pool",
            "maxSize": 32,
            "minIdle": 32,
            "acquireTimeoutMs": 10000,
        },
        "httpClient": {
            "library": "apache-httpclient5" if mvc else "reactor-netty",
            "maxConnections": 512,
            "maxConnectionsPerRoute": 512,
            "acquireTimeoutMs": 10000,
            "responseTimeoutMs": 10000,
        },
        "jvm": {
            "javaVersion": "25.0.1",
            "javaVendor": "Eclipse Adoptium",
            "inputArguments": ["-Xmx512m"],
            "maxHeapBytes": 512 * 1024 * 1024,
            "gc": ["G1 Young Generation", "G1 Old Generation"],
            "availableProcessors": 8,
        },
    }
    info.update(over)
    return info


def record(variant: str, requested: dict[str, Any], effective: dict[str, Any]) -> dict[str, Any]:
    return {
        "jar": "order.jar",
        "port": 8080,
        "jdk": {"feature": 25, "version": "25.0.1", "vendor": "Eclipse Adoptium"},
        "jvm_flags": ["-Xms512m", "-Xmx512m", "-XX:+UseG1GC"],
        "env": {"ORDERS_VARIANT": variant},
        "variant": variant,
        "requested": requested,
        "effective": effective,
    }


def manifest(status: str = "complete", **over: Any) -> Manifest:
    doc: dict[str, Any] = {
        "scenario_path": "quick.yaml",
        **{key: {} for key in ("jdks", "infrastructure", "downstream", "build", "seed")},
        "format_version": 2,
        "harness_version": "0.1.0",
        "status": status,
        "started_at": "2026-11-26T22:43:05Z",
        "finished_at": "2026-11-26T22:50:00Z",
        "scenario": SCENARIO.model_dump(mode="json"),
        "argv": ["harness", "run", "quick.yaml"],
        "git": {
            "commit": "0137599" + "0" * 33,
            "branch": "main",
            "dirty": True,
            "dirty_files": 2,
            "error": None,
        },
        "machine": {
            "hostname": "bench1",
            "platform": "Linux-6.8",
            "python": "3.11.7",
            "physical_cores": 4,
            "cpu_model": "AMD EPYC",
            "logical_cores": 8,
            "usable_cores": 8,
            "memory_total_bytes": 32 * 1024**3,
            "os": "Linux",
            "kernel": "6.8",
            "load_average_at_start": [0.1, 0.2, 0.3],
        },
        "variants": {
            "mvc-platform@jdk25": record(
                "mvc-platform",
                {"server": "tomcat", "tomcat.maxThreads": 32, "dbPool.maxSize": 32},
                runtime("mvc-platform"),
            ),
            "webflux@jdk25": record(
                "webflux", {"server": "netty", "nettyIoWorkers": 8, "dbPool.maxSize": 32}, runtime("webflux")
            ),
        },
        "error": None,
        "warnings": [],
    }
    doc.update(over)
    return Manifest.from_json(doc, Path("manifest.json"))


def three_reps() -> list[LevelResult]:
    levels = []
    for variant in ("mvc-platform", "webflux"):
        for rep, (rps, p99) in enumerate([(1000.0, 70.0), (900.0, 80.0), (1100.0, 75.0)], start=1):
            levels.append(
                dataclasses.replace(BASE, variant=variant, repetition=rep, throughput_rps=rps, p99_ms=p99)
            )
    return levels


def table_row(text: str, heading: str, first_cell: str) -> str:
    section = text.split(heading, 1)[1]
    return next(line for line in section.splitlines() if line.startswith(f"| {first_cell} |"))


def test_repetitions_show_median_min_max() -> None:
    text = render_summary(manifest(), three_reps())
    row = table_row(text, "## Results: JDK 25", "mvc-platform")
    assert "1000 [900\u20131100] | 10.0% |" in row  # CV: sample stdev 100 over mean 1000
    assert "75.0 [70.0\u201380.0]" in row
    assert "60.0 [60.0\u201360.0]" in row  # every number keeps the same shape, even with no spread
    assert "**Status: complete.**" in text
    assert "not corrected for coordinated omission" in text


def test_single_repetition_shows_plain_numbers() -> None:
    text = render_summary(manifest(), [BASE])
    row = table_row(text, "## Results: JDK 25", "mvc-platform")
    assert "| 1000 | — | 60.0 | 70.0 | 90.0 | 0 |" in row  # no CV from one value
    assert "[" not in row


def test_level_warnings_are_listed() -> None:
    saturated = dataclasses.replace(
        BASE, variant="webflux", users=256, generator_saturated=True, generator_cpu_pct_mean=97.0
    )
    failing = dataclasses.replace(BASE, errors=12, error_rate=0.0006, error_kinds={"http_502": 12})
    off = dataclasses.replace(
        BASE, users=128, littles_law_users=80.0, littles_law_deviation=0.375, littles_law_ok=False
    )
    levels = [saturated, failing, off]
    # The runner stores the same warnings in the manifest; they must not show twice.
    stored = [w for level in levels for w in warnings_for(level)]
    text = render_summary(manifest(warnings=[*stored, "postgres: fsync is off"]), levels)
    warnings = text.split("## Warnings", 1)[1].split("## Configuration", 1)[0]
    assert "webflux jdk25 256 users rep 1/3: load generator at 97% of a core" in warnings
    assert "- postgres: fsync is off" in warnings
    assert warnings.count("load generator at") == 1
    assert "12 of 20000 requests failed" in warnings
    assert "Little's law off by 38%" in warnings
    assert "generator saturated" in table_row(text, "## Results", "webflux")


def test_non_complete_status_is_loud() -> None:
    for status in ("running", "failed", "interrupted"):
        text = render_summary(
            manifest(status, error="BuildError: mvn failed" if status == "failed" else None), []
        )
        head = text.split("## Warnings", 1)[0]
        assert f"{status.upper()}: this run is NOT complete" in head
        assert "Status: complete" not in text
        assert "No level was measured." in text
    assert "BuildError: mvn failed" in render_summary(manifest("failed", error="BuildError: mvn failed"), [])


def test_config_table_is_side_by_side_and_flags_mismatch() -> None:
    text = render_summary(manifest(), [])
    config = text.split("## Configuration", 1)[1].split("## Results", 1)[0]
    assert "| setting | mvc-platform@jdk25 | webflux@jdk25 |" in config
    assert "| JDK | 25.0.1 (Eclipse Adoptium) | 25.0.1 (Eclipse Adoptium) |" in config
    assert "| DB pool | hikari 32 | r2dbc-pool 32 |" in config
    assert "| Tomcat max threads | 32 | — |" in config
    assert "| heap (max) | 512 MiB | 512 MiB |" in config
    assert "| GC | G1 | G1 |" in config
    # webflux asked for 8 I/O workers but runs with 4: shown in the table and under Warnings.
    assert "| Netty I/O workers | — | **4** ⚠ asked 8 |" in config
    warnings = text.split("## Warnings", 1)[1].split("## Configuration", 1)[0]
    assert "webflux@jdk25: Netty I/O workers is 4 in the running app, but 8 was requested" in warnings


def test_write_summary_from_a_results_folder(tmp_path: Path) -> None:
    results = create(tmp_path, "quick", datetime(2026, 11, 26, tzinfo=UTC))
    writer = ManifestWriter(results, SCENARIO, Path("quick.yaml"), ["harness", "run"])
    LevelTable(results.levels_csv).append(BASE)
    path = write_summary(results)  # still running: e.g. `harness report` on a killed run
    assert "RUNNING: this run is NOT complete" in path.read_text(encoding="utf-8")
    writer.finish("complete")
    assert "**Status: complete.**" in write_summary(results).read_text(encoding="utf-8")


def test_repetitions_inside_one_jvm_are_warned_about_and_fresh_ones_are_not() -> None:
    fresh = render_summary(manifest(), three_reps())
    assert "inside one JVM" not in fresh
    shared = render_summary(manifest(format_version=1), three_reps())
    warnings = shared.split("## Warnings", 1)[1].split("## Configuration", 1)[0]
    assert "- the repetitions ran back to back inside one JVM (results format 1)" in warnings


def test_the_run_order_is_named_on_the_jvms_line() -> None:
    runs = [{"position": i, "app": f"{v}@jdk25", "repetition": rep, "pid": 100 + i, "started_at": "t",
             "finished_at": "t", "gc_log": "g", "jfr_recording": None}
            for i, (rep, v) in enumerate(((1, "webflux"), (1, "mvc-platform"), (2, "mvc-platform")), start=1)]
    text = render_summary(manifest(run_order={"policy": "shuffled", "seed": 9, "runs": runs}), three_reps())
    assert ("- **JVMs:** a fresh JVM per variant × JDK × repetition, each warmed up on its own; 3 run in "
            "shuffled order (seed 9) (manifest.json run_order)") in text
    assert "**JVMs:**" not in render_summary(manifest(), three_reps())


def test_each_cpu_limit_has_its_own_results_table_and_the_containers_table_shows_what_the_jvm_saw() -> None:
    jvm = runtime("webflux")["jvm"]
    variants = {}
    levels = []
    for cpus, rps, throttled in ((1.0, 400.0, 6.5), (2.0, 900.0, 0.0)):
        seen = {**jvm, "availableProcessors": int(cpus), "virtualThreadCarriers": int(cpus),
                "gcThreads": {"parallel": int(cpus), "concurrent": 1}, "memoryLimitBytes": 1024**3}
        variants[f"webflux@jdk25@cpus{cpus:g}"] = record(
            "webflux", {"jvm.availableProcessors": int(cpus)}, runtime("webflux", nettyIoWorkers=int(cpus), jvm=seen))
        levels.append(dataclasses.replace(BASE, variant="webflux", cpus=cpus, throughput_rps=rps,
                                          app_throttled_s=throttled, app_throttled_pct=10 * throttled,
                                          app_throttled=throttled > 0, app_cgroup_memory_mb_max=700.0))
    text = render_summary(manifest(variants=variants), levels)
    one, two = table_row(text, "## Results: JDK 25, 1 CPU\n", "webflux"), table_row(text, "## Results: JDK 25, 2 CPUs",
                                                                                     "webflux")
    assert "| 400 |" in one and "throttled" in one
    assert "| 900 |" in two and "throttled" not in two
    containers = text.split("## Containers: CPU limit × variant", 1)[1]
    rows = [line for line in containers.splitlines() if line.startswith("| 25 | webflux |")]
    assert rows == [
        "| 25 | webflux | 1 | 64 | 400 | 70.0 | 1 | 1 event loops | 1/1 | 6.50 | 65 | 700 |",
        "| 25 | webflux | 2 | 64 | 900 | 70.0 | 2 | 2 event loops | 2/1 | 0.000 | 0 | 700 |",
    ]
    platform = {"mvc-platform@jdk25@cpus1": record("mvc-platform", {}, runtime("mvc-platform", jvm={
        **jvm, "availableProcessors": 1, "virtualThreadCarriers": 1}))}
    text = render_summary(manifest(variants=platform), [dataclasses.replace(BASE, cpus=1.0)])
    assert "| 25 | mvc-platform | 1 | 64 | 1000 | 70.0 | 1 | 32 Tomcat threads | —/— | — | — | — |" in text
    assert "## Containers" not in render_summary(manifest(), three_reps())


def test_the_downstream_warm_up_says_how_it_ended() -> None:
    steady = {"users": 32, "seconds": 40.0, "steady": True, "windows": []}
    text = render_summary(manifest(downstream={"warmup": steady}), three_reps())
    assert ("- **Downstream warm-up:** auto (until 3 windows of 2s agree within 10% and JIT ≤ 5% of the time, at "
            "most 90s); steady after 40s at 32 users") in text
    text = render_summary(manifest(downstream={"warmup": {**steady, "seconds": 90.0, "steady": False}}), three_reps())
    assert "**not steady** (reached max) after 90s" in text
    # A run from before the downstream's warm-up was recorded says nothing rather than something made up.
    assert "Downstream warm-up" not in render_summary(manifest(), three_reps())


def test_a_level_measured_on_a_shared_machine_is_flagged_in_its_row_and_warned_about() -> None:
    shared = dataclasses.replace(BASE, variant="webflux", repetition=2, foreign_cpu_cores=0.9, machine_busy=True)
    levels = [dataclasses.replace(BASE, variant="webflux", repetition=r) for r in (1, 3)] + [shared]
    text = render_summary(manifest(warnings=warnings_for(shared, 3)), levels)
    assert "machine shared (1/3)" in table_row(text, "## Results", "webflux")
    assert "processes outside the run used 0.90 cores" in text.split("## Warnings", 1)[1]


def test_a_level_measured_while_the_machine_was_paused_is_flagged_and_warned_about() -> None:
    paused = dataclasses.replace(BASE, variant="webflux", repetition=2, clock_step_s=8.7, attempts=3)
    remeasured = dataclasses.replace(BASE, variant="webflux", repetition=3, clock_step_s=0.002, attempts=2)
    levels = [dataclasses.replace(BASE, variant="webflux", repetition=1), paused, remeasured]
    text = render_summary(manifest(warnings=[w for r in levels for w in warnings_for(r, 3)]), levels)
    assert "machine paused (1/3)" in table_row(text, "## Results", "webflux")
    warnings = text.split("## Warnings", 1)[1]
    assert "webflux jdk25 64 users rep 2/3: the machine was paused during the level" in warnings
    assert "stepped 8.70s" in warnings and "in each of 3 attempt(s)" in warnings
    assert "rep 3/3: the machine was paused" not in warnings  # its kept attempt ran on a running clock
