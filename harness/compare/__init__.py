"""Compare two results folders level by level: the change of each measure with a 95% interval.

``load_run`` reads a folder (refusing an incomplete run unless told), ``compare_runs`` computes one
``Change`` per level × measure, ``harness.compare.render`` prints and exports them. The gate's
regression rules use ``compare_values`` so that ``harness compare`` and ``harness gate`` always
agree on what "significant" means.
"""

from harness.compare.changes import (
    CONFIDENCE,
    METHOD,
    Change,
    compare_runs,
    compare_values,
    dependent_repetitions,
    unmatched_levels,
)
from harness.compare.measures import COMPARED, MEASURES, Measure
from harness.compare.runs import Run, load_run, setup_differences
from harness.level_id import LevelPoint

__all__ = [
    "COMPARED",
    "CONFIDENCE",
    "MEASURES",
    "METHOD",
    "Change",
    "LevelPoint",
    "Measure",
    "Run",
    "compare_runs",
    "compare_values",
    "dependent_repetitions",
    "load_run",
    "setup_differences",
    "unmatched_levels",
]
