"""The CI performance gate: rules (relative, regression, SLO) evaluated against a results folder.

``load_rules`` validates a rules file (every problem with its line, exit 2), ``evaluate`` applies
it to a run and an optional baseline, ``harness.gate.report`` prints the table and JUnit XML.
"""

from harness.gate.evaluate import Evaluation, MissingBaselineError, evaluate, failed
from harness.gate.rules import RuleSet, load_rules, parse_rules

__all__ = ["Evaluation", "MissingBaselineError", "RuleSet", "evaluate", "failed", "load_rules", "parse_rules"]
