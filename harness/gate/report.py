"""The gate's outputs: a rich table of every evaluation and JUnit XML for CI systems."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from harness.gate.evaluate import VERDICTS, Evaluation, failed, fails

_STYLE = {"PASS": "green", "FAIL": "bold red", "INCONCLUSIVE": "bold magenta", "UNRELIABLE": "bold magenta",
          "SKIP": "yellow"}


def gate_table(evaluations: Sequence[Evaluation], title: str) -> Table:
    """One row per evaluation: rule, scope, measured, bound, verdict (with its reason)."""
    table = Table(title=title, title_justify="left")
    for column in ("#", "rule", "scope", "measured", "bound", "verdict"):
        table.add_column(column, overflow="fold")
    for e in evaluations:
        verdict = f"[{_STYLE[e.verdict]}]{e.verdict}[/]" + (f": {escape(e.reason)}" if e.reason else "")
        table.add_row(str(e.rule_index), escape(e.rule), escape(e.scope), escape(e.measured), escape(e.bound), verdict)
    return table


def counts(evaluations: Sequence[Evaluation]) -> Counter[str]:
    return Counter(e.verdict for e in evaluations)


def summary_line(evaluations: Sequence[Evaluation], *, allow_skip: bool = False) -> str:
    """``gate FAILED: 3 of 14 evaluations failed (1 FAIL, 1 INCONCLUSIVE, 1 SKIP); 11 PASS``."""
    tally = counts(evaluations)
    failing = sum(1 for e in evaluations if fails(e, allow_skip=allow_skip))
    state = "FAILED" if failed(evaluations, allow_skip=allow_skip) else "passed"
    kinds = ", ".join(f"{tally[v]} {v}" for v in VERDICTS if tally[v] and v != "PASS")
    skips = " (skips allowed)" if allow_skip and tally["SKIP"] else ""
    return (f"gate {state}: {failing} of {len(evaluations)} evaluations failed"
            f"{f' ({kinds})' if kinds else ''}{skips}; {tally['PASS']} PASS")


def write_junit(path: Path, evaluations: Sequence[Evaluation], suite: str = "harness gate", *,
                allow_skip: bool = False) -> None:
    """JUnit XML: one testsuite, one testcase per evaluation.

    Every evaluation that fails the gate is a ``<failure>`` whose ``type`` is the verdict and whose
    message starts with it, so a CI test view agrees with the exit code; an allowed SKIP is
    ``<skipped>``. Each testcase also carries ``verdict`` and ``reason`` properties for tools that
    read them. ``classname`` is ``gate.rules[i]`` and ``name`` the rule and its scope, so CI systems
    group the evaluations of one rule together.
    """
    failures = str(sum(1 for e in evaluations if fails(e, allow_skip=allow_skip)))
    skipped = str(sum(1 for e in evaluations if e.verdict == "SKIP" and allow_skip))
    totals = {"tests": str(len(evaluations)), "failures": failures, "skipped": skipped, "errors": "0"}
    root = ET.Element("testsuites", totals)
    suite_element = ET.SubElement(root, "testsuite", {"name": suite, **totals})
    for e in evaluations:
        case = ET.SubElement(suite_element, "testcase", classname=f"gate.rules[{e.rule_index}]",
                             name=f"{e.rule} [{e.scope}]")
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", name="verdict", value=e.verdict)
        ET.SubElement(properties, "property", name="reason", value=e.reason)
        detail = f"measured {e.measured}; bound {e.bound}"
        message = f"{e.verdict}: {e.reason}" if e.reason else e.verdict
        if fails(e, allow_skip=allow_skip):
            failure = ET.SubElement(case, "failure", message=message, type=e.verdict)
            failure.text = f"{detail}; {e.kind} rule"
        elif e.verdict == "SKIP":
            ET.SubElement(case, "skipped", message=message)
        else:
            ET.SubElement(case, "system-out").text = detail + (f"; {e.reason}" if e.reason else "")
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
