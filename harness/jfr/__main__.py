"""``python -m harness.jfr``: the JFR reader process behind ``harness.jfr.summarise_recording``.

Reads one JSON request on stdin, ``{"path": "...", "windows": [[label, start, end], ...], "jdk": {...}}``
(``jdk``, the fields of a ``harness.jdks.Jdk`` to start the JVM from, is optional), and
prints one JSON line: ``{"summaries": {label: {...}}, "stats": {...}}`` or, for a failure the
harness understands, ``{"error": "...", "kind": "environment" | "results"}`` with exit code 3.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from harness.errors import EnvironmentError_, HarnessError
from harness.jdks import Jdk
from harness.jfr.reader import read_in_process


def main() -> int:
    request = json.loads(sys.stdin.read())
    windows = [(str(label), float(start), float(end)) for label, start, end in request["windows"]]
    try:
        jdk = Jdk(**{**request["jdk"], "home": Path(request["jdk"]["home"])}) if "jdk" in request else None
        summaries, stats = read_in_process(Path(request["path"]), windows, jdk)
    except (HarnessError, ValueError) as failure:
        kind = "environment" if isinstance(failure, EnvironmentError_) else "results"
        print(json.dumps({"error": str(failure), "kind": kind}), flush=True)
        return 3
    response = {"summaries": {label: s.to_json() for label, s in summaries.items()}, "stats": asdict(stats)}
    print(json.dumps(response), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
