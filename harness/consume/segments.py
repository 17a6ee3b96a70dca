"""How a consume segment is named: one place for the run that writes the name and the readers that look it up."""

from __future__ import annotations


def segment_label(key: str, broker: str, repetition: int) -> str:
    """``mvc-virtual@jdk25-kafka-r1``: a segment's name in logs, JFR files and the manifest's ``consume.segments``."""
    return f"{key}-{broker}-r{repetition}"
