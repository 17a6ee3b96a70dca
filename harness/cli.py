"""The ``harness`` command line.

    harness validate SCENARIO          check a scenario; start nothing
    harness run SCENARIO               measure it; write results/<time>-<name>/
    harness report RESULTS_DIR         re-render report.html and summary.md of a results folder
    harness compare BASE NEW           the change of every measure, with 95% intervals
    harness gate RESULTS_DIR --rules R  CI performance gate: exit 0 pass, 1 fail, 2 bad input
    harness calibrate                  measure the instrument on the downstream's fixed delay; cache per machine
    harness worker --master HOST:PORT  a Locust worker for the runs of another machine (load.expect_workers)
    harness infra exec [--kafka] [--rabbitmq] -- CMD ...
                                       run CMD with PostgreSQL, the downstream service (and brokers) up

Exit codes: 0 success, 1 failure, 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from harness import __version__
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.results.layout import ResultsDir
    from harness.runner import RunStatus
    from harness.scenario import Scenario, WarmupSettings

EXIT_INTERRUPTED = 130


def repo_root() -> Path:
    """The checkout this harness runs from (holds java-apps/ and scenarios/)."""
    return Path(__file__).resolve().parent.parent


def _cmd_validate(args: argparse.Namespace, console: Console) -> int:
    from harness.scenario import load_scenario

    for path in args.scenarios:
        scenario = load_scenario(Path(path))
        runs = f"{len(scenario.variants)} variant(s) × {len(scenario.jdks)} JDK(s) × "
        if scenario.containers is not None:
            runs += f"{len(scenario.containers.cpus)} CPU limit(s) in containers × "
        if scenario.consume is not None:
            consume = scenario.consume
            if consume.sweep is None:
                runs += f"{consume.repetitions} segment(s) of {consume.events} events on {consume.broker}"
            else:
                points = consume.points()
                runs += (f"{consume.repetitions} segment(s) of {consume.events} events at each of {len(points)} "
                         f"sweep points ({', '.join(p.slug for p, _ in points)}), each a run of its own")
        else:
            load = scenario.require_load()
            if load.search is not None:
                search, slo = load.search, load.slo
                assert slo is not None
                runs += (f"a capacity search from {search.start} to {search.max} req/s under p99 <= "
                         f"{slo.p99 * 1000:g} ms × {load.repetitions} repetition(s)")
            else:
                runs += f"{len(load.load_points())} {load.model}-model level(s) × {load.repetitions} repetition(s)"
        console.print(f"{path}: valid — {runs}")
    return 0


def _cmd_run(args: argparse.Namespace, console: Console) -> int:
    from harness.runner import Paths, run_scenario
    from harness.scenario import load_scenario

    path = Path(args.scenario)
    scenario = load_scenario(path)
    results_root = Path(args.results_dir).resolve()
    if scenario.consume is not None and scenario.consume.sweep is not None:
        from harness.consume.sweep import run_sweep

        def run_point(point: Scenario, root: Path) -> tuple[ResultsDir, RunStatus]:
            return run_scenario(point, path.resolve(), Paths(repo_root(), root), console, sys.argv,
                                rebuild=args.rebuild)

        sweep_root, sweep_status = run_sweep(scenario, results_root, console, run_point)
        print((sweep_root / "sweep.md").read_text(encoding="utf-8"))
        console.print(f"[bold green]{sweep_status}[/]: {sweep_root}")
        return 0
    paths = Paths(repo_root=repo_root(), results_root=results_root)
    results, status = run_scenario(scenario, path.resolve(), paths, console, sys.argv, rebuild=args.rebuild)
    # Plain print: the console would re-wrap the markdown tables at the terminal's width.
    print(results.summary_md.read_text(encoding="utf-8"))
    console.print(f"[bold green]{status}[/]: {results.root}")
    return 0


def _cmd_report(args: argparse.Namespace, console: Console) -> int:
    from harness.report import write_report

    if (Path(args.results_dir) / "sweep.json").is_file():
        from harness.consume.sweep import rewrite_sweep_report

        rewrite_sweep_report(Path(args.results_dir))
        console.print(f"wrote {Path(args.results_dir) / 'sweep.md'} (each point's own report is in its folder)")
        return 0
    report = write_report(Path(args.results_dir))
    console.print(f"wrote {report} and {report.with_name('summary.md')}")
    return 0


def _calibrate_warmup(text: str) -> WarmupSettings:
    from harness.scenario import WarmupSettings, downstream_warmup_default

    return downstream_warmup_default() if text == "auto" else WarmupSettings(mode="fixed", duration=_seconds(text))


def _cmd_calibrate(args: argparse.Namespace, console: Console) -> int:
    from harness.calibrate import CalibrateSettings, calibrate, summary_lines

    settings = CalibrateSettings(delays_ms=args.delays, users=args.users, settle_s=args.settle,
                                 duration_s=args.duration, warmup=args.warmup, jdk=args.jdk,
                                 placement=args.placement, wrk=not args.no_wrk, vegeta=not args.no_vegeta)
    results, calibration = calibrate(settings, repo_root() / "java-apps", Path(args.results_dir).resolve(), console,
                                     Path(args.cache) if args.cache else None)
    print("\n".join(summary_lines(calibration)))  # plain: the console would re-wrap the table
    console.print(f"[bold green]calibrated[/]: {results.root}")
    return 0


def _delays(text: str) -> tuple[int, ...]:
    values = tuple(int(part) for part in text.split(","))
    if any(v < 0 for v in values):
        raise ValueError(text)
    return values


def _users(text: str) -> tuple[int, ...]:
    values = _delays(text)
    if 0 in values:
        raise ValueError(text)
    return values


def _seconds(text: str) -> int:
    if int(text) < 0:
        raise ValueError(text)
    return int(text)


def _wide(console: Console) -> Console:
    """CI logs are not terminals: rich would wrap the wide tables at 80 columns there."""
    if console.is_terminal:
        return console
    return Console(width=max(console.width, 200), highlight=False, stderr=console.stderr)


def _warn(messages: Sequence[str]) -> None:
    error_console = _wide(Console(stderr=True))
    for message in messages:
        error_console.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False)


def _setup_warnings(base_label: str, differences: Sequence[str]) -> list[str]:
    if not differences:
        return []
    return [f"the two runs differ in {len(differences)} setting(s) of scenario, machine or JDK "
            f"({base_label}); their numbers may not be comparable:\n  " + "\n  ".join(differences)]


def _cmd_compare(args: argparse.Namespace, console: Console) -> int:
    from harness.compare import compare_runs, dependent_repetitions, load_run, setup_differences, unmatched_levels
    from harness.compare.render import compare_table, write_csv, write_json

    base = load_run(Path(args.base), allow_incomplete=args.allow_incomplete)
    new = load_run(Path(args.new), allow_incomplete=args.allow_incomplete)
    warnings = [*_setup_warnings("base → new", setup_differences(base, new)), *unmatched_levels(base, new),
                *dependent_repetitions(base, new)]
    changes = compare_runs(base, new)
    if not changes:
        raise HarnessError(f"{base.root} and {new.root} share no level (variant × JDK × users); nothing to compare")
    _warn(warnings)
    _wide(console).print(compare_table(base, new, changes))
    if args.json:
        write_json(Path(args.json), base, new, changes, warnings)
        console.print(f"wrote {args.json}")
    if args.csv:
        write_csv(Path(args.csv), changes)
        console.print(f"wrote {args.csv}")
    return 0


def _cmd_gate(args: argparse.Namespace, console: Console) -> int:
    from harness.compare import load_run, setup_differences
    from harness.gate import evaluate, failed, load_rules
    from harness.gate.report import gate_table, summary_line, write_junit

    # Rules first: a malformed rules file is reported (exit 2) before any results folder is read.
    rules = load_rules(Path(args.rules))
    run = load_run(Path(args.results_dir), allow_incomplete=args.allow_incomplete)
    baseline = None
    if args.baseline:
        baseline_path = Path(args.baseline)
        if not baseline_path.is_dir():
            from harness.gate import MissingBaselineError

            raise MissingBaselineError(f"--baseline {baseline_path}: no such results folder; pass the folder of "
                                       "the run to compare against (results/<time>-<scenario>)")
        baseline = load_run(baseline_path, allow_incomplete=args.allow_incomplete)
        _warn(_setup_warnings("baseline → run", setup_differences(baseline, run)))
    evaluations = evaluate(rules, run, baseline)
    title = f"gate {run.root.name}" + (f" vs baseline {baseline.root.name}" if baseline else "")
    _wide(console).print(gate_table(evaluations, title))
    if args.junit:
        write_junit(Path(args.junit), evaluations, allow_skip=args.allow_skip)
        console.print(f"wrote {args.junit}")
    line = summary_line(evaluations, allow_skip=args.allow_skip)
    gate_failed = failed(evaluations, allow_skip=args.allow_skip)
    console.print(f"[bold red]{line}[/]" if gate_failed else f"[bold green]{line}[/]")
    return 1 if gate_failed else 0


def _cmd_infra_exec(args: argparse.Namespace, console: Console) -> int:
    from harness.infra.exec_command import exec_with_infra

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise HarnessError("infra exec needs a command after '--', e.g. harness infra exec -- mvn test")
    return exec_with_infra(
        command, repo_root(), console, downstream=not args.no_downstream, kafka=args.kafka, rabbitmq=args.rabbitmq
    )


def _cmd_worker(args: argparse.Namespace, console: Console) -> int:
    from harness.load.worker_command import serve

    return serve(args.master, console, name=args.name, allow_remote=args.allow_remote, levels=args.levels)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check scenario files; start nothing")
    validate.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    validate.set_defaults(handler=_cmd_validate)

    run = commands.add_parser("run", help="run a scenario and write a results folder")
    run.add_argument("scenario", metavar="SCENARIO")
    run.add_argument("--results-dir", default=str(repo_root() / "results"),
                     help="where results/<time>-<name>/ is created (default: results/ of the checkout)")
    run.add_argument("--rebuild", action="store_true", help="rebuild the jars even if they are up to date")
    run.set_defaults(handler=_cmd_run)

    report = commands.add_parser("report", help="re-render report.html and summary.md of a results folder")
    report.add_argument("results_dir", metavar="RESULTS_DIR")
    report.set_defaults(handler=_cmd_report)

    compare = commands.add_parser(
        "compare", help="change of every measure from BASE to NEW with Welch 95%% intervals")
    compare.add_argument("base", metavar="BASE", help="results folder of the reference run")
    compare.add_argument("new", metavar="NEW", help="results folder of the run to judge")
    compare.add_argument("--json", metavar="FILE", help="also write every change as JSON")
    compare.add_argument("--csv", metavar="FILE", help="also write every change as CSV")
    compare.add_argument("--allow-incomplete", action="store_true",
                         help="accept runs whose status is not 'complete' (their levels may be partial)")
    compare.set_defaults(handler=_cmd_compare)

    gate = commands.add_parser(
        "gate", help="check a results folder against a rules file (exit 0 pass, 1 fail, 2 bad input)")
    gate.add_argument("results_dir", metavar="RESULTS_DIR")
    gate.add_argument("--rules", required=True, metavar="RULES.yaml", help="the gate rules (docs/ci-gate.md)")
    gate.add_argument("--baseline", metavar="DIR", help="results folder of the baseline run (regression rules)")
    gate.add_argument("--junit", metavar="FILE", help="also write JUnit XML, one testcase per evaluation")
    gate.add_argument("--allow-incomplete", action="store_true",
                      help="accept runs whose status is not 'complete' (their levels may be partial)")
    gate.add_argument("--allow-skip", action="store_true",
                      help="let a SKIP (a rule whose level, variant or metric is absent) pass instead of failing")
    gate.set_defaults(handler=_cmd_gate)

    calibrate = commands.add_parser(
        "calibrate", help="measure the instrument's latency error and generator capacity on the downstream's "
                          "fixed-delay endpoint, with wrk as reference; cached per machine for every run's manifest")
    calibrate.add_argument("--delays", type=_delays, default=(0, 5, 20),
                           help="known delays in ms, comma-separated (default 0,5,20)")
    calibrate.add_argument("--users", type=_users, default=(1, 8, 32),
                           help="closed-model users per delay, comma-separated (default 1,8,32)")
    calibrate.add_argument("--duration", type=_seconds, default=10, help="measured seconds per row (default 10)")
    calibrate.add_argument("--settle", type=_seconds, default=1, help="unmeasured seconds before each row (default 1)")
    calibrate.add_argument("--warmup", type=_calibrate_warmup, default="auto",
                           help="the downstream's warm-up: auto (until its JIT is quiet, at most 90s; the default) "
                                "or seconds")
    calibrate.add_argument("--jdk", type=int, default=25, help="JDK feature version of the downstream (default 25)")
    calibrate.add_argument("--placement", choices=("auto", "none"), default="auto",
                           help="auto (default) or none, as a scenario's placement")
    calibrate.add_argument("--no-wrk", action="store_true", help="skip the wrk reference")
    calibrate.add_argument("--no-vegeta", action="store_true",
                           help="skip the open model's driver (vegeta flat out from one core)")
    calibrate.add_argument("--results-dir", default=str(repo_root() / "results"),
                           help="where results/<time>-calibration/ is created")
    calibrate.add_argument("--cache", help="where the machine's calibration is cached (default "
                                           "~/.cache/loom-bench/calibration.json)")
    calibrate.set_defaults(handler=_cmd_calibrate)

    worker = commands.add_parser(
        "worker", help="serve as a Locust worker of a run elsewhere (scenario load.expect_workers), level after level")
    worker.add_argument("--master", required=True, metavar="HOST:PORT",
                        help="the run's Locust master (load.master_bind / load.master_port of its scenario)")
    worker.add_argument("--name", help="how the run's manifest names this worker (default: the host name)")
    worker.add_argument("--allow-remote", action="store_true",
                        help="permit a master that is not on this machine (loopback only otherwise)")
    worker.add_argument("--levels", type=int, metavar="N",
                        help="stop after serving N levels (default: until Ctrl-C)")
    worker.set_defaults(handler=_cmd_worker)

    infra = commands.add_parser("infra", help="infrastructure for tests")
    infra_commands = infra.add_subparsers(dest="infra_command", required=True)
    exec_ = infra_commands.add_parser(
        "exec", help="start PostgreSQL (schema applied), the downstream service and the brokers asked for, run a "
                     "command with ORDERS_DB_*, ORDERS_DOWNSTREAM_URL (ORDERS_KAFKA_BOOTSTRAP, ORDERS_RABBIT_*) set, "
                     "stop everything")
    exec_.add_argument("--no-downstream", action="store_true", help="do not start the downstream service")
    exec_.add_argument("--kafka", action="store_true",
                       help="also start a single-node Kafka; exports ORDERS_KAFKA_BOOTSTRAP")
    exec_.add_argument("--rabbitmq", action="store_true",
                       help="also start a private RabbitMQ node; exports ORDERS_RABBIT_HOST/PORT/USER/PASSWORD")
    exec_.add_argument("command", nargs=argparse.REMAINDER)
    exec_.set_defaults(handler=_cmd_infra_exec)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = _wide(Console(stderr=False))
    error_console = _wide(Console(stderr=True))
    try:
        code: int = args.handler(args, console)
        return code
    except HarnessError as error:
        error_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        return error.exit_code
    except KeyboardInterrupt:
        error_console.print("[bold yellow]interrupted[/]: every process the harness started was stopped")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
