"""``harness worker``: the master's address is checked before anything starts."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.errors import LoadError
from harness.load.worker_command import MasterAddressError, parse_master


def test_a_master_on_another_machine_is_refused_without_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--master", "10.0.0.7:5557", "--levels", "1"]) == 1
    assert "'10.0.0.7' is not this machine (not loopback); pass --allow-remote" in capsys.readouterr().err
    with pytest.raises(LoadError, match="not this machine"):
        parse_master("gen.example.com:5557", allow_remote=False)
    assert parse_master("10.0.0.7:5557", allow_remote=True) == ("10.0.0.7", 5557)
    assert parse_master("[::1]:5557", allow_remote=False) == ("::1", 5557)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.1:", ":5557", "127.0.0.1:70000", "127.0.0.1:x"])
def test_a_malformed_master_address_is_bad_input(address: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(MasterAddressError, match="expected HOST:PORT"):
        parse_master(address, allow_remote=False)
    assert main(["worker", "--master", address]) == 2
    assert "expected HOST:PORT" in capsys.readouterr().err
