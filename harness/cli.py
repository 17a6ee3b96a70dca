"""The ``harness`` command line.

    harness validate SCENARIO          check a scenario; start nothing
    harness run SCENARIO               measure it; write results/<time>-<name>/
    harness report RESULTS_DIR         re-render summary.md from a results folder
    harness infra exec -- CMD ...      run CMD with PostgreSQL and the downstream service up

Exit codes: 0 success, 1 failure, 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from harness import __version__
from harness.errors import HarnessError

EXIT_INTERRUPTED = 130


def repo_root() -> Path:
    """The checkout this harness runs from (holds java-apps/ and scenarios/)."""
    return Path(__file__).resolve().parent.parent


def _cmd_validate(args: argparse.Namespace, console: Console) -> int:
    from harness.scenario import load_scenario

    for path in args.scenarios:
        scenario = load_scenario(Path(path))
        console.print(f"{path}: valid — {len(scenario.variants)} variant(s) × {len(scenario.jdks)} JDK(s) × "
                      f"{len(scenario.load.levels)} level(s) × {scenario.load.repetitions} repetition(s)")
    return 0


def _cmd_run(args: argparse.Namespace, console: Console) -> int:
    from harness.runner import Paths, run_scenario
    from harness.scenario import load_scenario

    path = Path(args.scenario)
    scenario = load_scenario(path)
    paths = Paths(repo_root=repo_root(), results_root=Path(args.results_dir).resolve())
    results, status = run_scenario(scenario, path.resolve(), paths, console, sys.argv, rebuild=args.rebuild)
    console.print(results.summary_md.read_text(encoding="utf-8"), markup=False, highlight=False)
    console.print(f"[bold green]{status}[/]: {results.root}")
    return 0


def _cmd_report(args: argparse.Namespace, console: Console) -> int:
    from harness.results.layout import ResultsDir
    from harness.results.summary import write_summary

    summary = write_summary(ResultsDir(Path(args.results_dir)))
    console.print(f"wrote {summary}")
    return 0


def _cmd_infra_exec(args: argparse.Namespace, console: Console) -> int:
    from harness.infra.exec_command import exec_with_infra

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise HarnessError("infra exec needs a command after '--', e.g. harness infra exec -- mvn test")
    return exec_with_infra(command, repo_root(), console, downstream=not args.no_downstream)


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

    report = commands.add_parser("report", help="re-render summary.md of a results folder")
    report.add_argument("results_dir", metavar="RESULTS_DIR")
    report.set_defaults(handler=_cmd_report)

    infra = commands.add_parser("infra", help="infrastructure for tests")
    infra_commands = infra.add_subparsers(dest="infra_command", required=True)
    exec_ = infra_commands.add_parser(
        "exec", help="start PostgreSQL (schema applied) and the downstream service, run a command with "
                     "ORDERS_DB_* and ORDERS_DOWNSTREAM_URL set, stop everything")
    exec_.add_argument("--no-downstream", action="store_true", help="start PostgreSQL only")
    exec_.add_argument("command", nargs=argparse.REMAINDER)
    exec_.set_defaults(handler=_cmd_infra_exec)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=False)
    error_console = Console(stderr=True)
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
