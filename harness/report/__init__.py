"""The HTML report of a results folder: ``write_report(results_dir)`` writes report.html.

``plots`` draws the figures from ``harness.analysis`` frames, ``html`` lays out the page, ``style``
holds what every figure shares (size, fonts, colours), ``write`` ties them to a folder.
"""

from harness.report.write import REPORT_NAME, write_report

__all__ = ["REPORT_NAME", "write_report"]
