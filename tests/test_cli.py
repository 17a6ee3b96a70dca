"""The command line itself: every command's help renders (argparse %-formats help strings)."""

from __future__ import annotations

import pytest

from harness.cli import main

COMMANDS = ([], ["validate"], ["run"], ["report"], ["compare"], ["gate"], ["infra"], ["infra", "exec"])


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "harness")
def test_help_renders_for_every_command(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: harness" in capsys.readouterr().out
