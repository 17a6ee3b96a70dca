"""The gate's outputs: a rich table of every evaluation and JUnit XML for CI systems."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from harness.gate.evaluate import Evaluation

_STYLE = {"PASS": "green", "FAIL": "bold red", "SKIP": "yellow"}


def gate_table(evaluations: Sequence[Evaluation], title: str) -> Table:
    """One row per evaluation: rule, scope, measured, bound, verdict (with the reason for FAIL/SKIP)."""
    table = Table(title=title, title_justify="left")
    for column in ("#", "rule", "scope", "measured", "bound", "verdict"):
        table.add_column(column, overflow="fold")
    for e in evaluations:
        verdict = f"[{_STYLE[e.verdict]}]{e.verdict}[/]" + (f": {escape(e.reason)}" if e.reason else "")
        table.add_row(str(e.rule_index), escape(e.rule), escape(e.scope), escape(e.measured), escape(e.bound), verdict)
    return table


def counts(evaluations: Sequence[Evaluation]) -> Counter[str]:
    return Counter(e.verdict for e in evaluations)


def summary_line(evaluations: Sequence[Evaluation]) -> str:
    """``gate FAILED: 2 of 14 evaluations failed, 3 skipped`` (or ``gate passed: ...``)."""
    tally = counts(evaluations)
    state = "FAILED" if tally["FAIL"] else "passed"
    return (f"gate {state}: {tally['FAIL']} of {len(evaluations)} evaluations failed, "
            f"{tally['PASS']} passed, {tally['SKIP']} skipped")


def write_junit(path: Path, evaluations: Sequence[Evaluation], suite: str = "harness gate") -> None:
    """JUnit XML: one testsuite, one testcase per evaluation; FAIL → <failure>, SKIP → <skipped>.

    ``classname`` is ``gate.rules[i]`` and ``name`` the rule and its scope, so CI systems group the
    evaluations of one rule together.
    """
    tally = counts(evaluations)
    root = ET.Element("testsuites", tests=str(len(evaluations)), failures=str(tally["FAIL"]),
                      skipped=str(tally["SKIP"]), errors="0")
    suite_element = ET.SubElement(root, "testsuite", name=suite, tests=str(len(evaluations)),
                                  failures=str(tally["FAIL"]), skipped=str(tally["SKIP"]), errors="0")
    for e in evaluations:
        case = ET.SubElement(suite_element, "testcase", classname=f"gate.rules[{e.rule_index}]",
                             name=f"{e.rule} [{e.scope}]")
        detail = f"measured {e.measured}; bound {e.bound}"
        if e.verdict == "FAIL":
            failure = ET.SubElement(case, "failure", message=e.reason or "rule does not hold", type=e.kind)
            failure.text = detail
        elif e.verdict == "SKIP":
            ET.SubElement(case, "skipped", message=e.reason)
        else:
            ET.SubElement(case, "system-out").text = detail
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
