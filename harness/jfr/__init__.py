"""Java Flight Recorder: the flags that record, and per-window summaries of what was recorded.

``jfr_flags`` goes on an app's command line; after the app has exited, ``summarise_recording``
turns its recording into one ``JfrSummary`` per window (per load level). See ``reader`` for why
the reading happens in a subprocess.
"""

from harness.jfr.flags import jfr_flags
from harness.jfr.reader import ReadStats, summarise_recording, summarise_recording_with_stats
from harness.jfr.summary import JfrSummary, Window

__all__ = ["JfrSummary", "ReadStats", "Window", "jfr_flags", "summarise_recording", "summarise_recording_with_stats"]
