"""The one pool (:mod:`sim.runs.executors`): a worker process that dies is a run failure of one line."""

from __future__ import annotations

import argparse
import os

import pytest

from sim.runs import executors
from sim.util.errors import RunFailure


def _die(context: object, task: object) -> None:
    os._exit(9)  # as a worker killed by the kernel (out of memory) ends: no exception, no result


def test_a_worker_that_dies_ends_the_map_with_a_run_failure():
    with executors.ProcessExecutor(1) as executor, pytest.raises(RunFailure, match="worker process ended abruptly"):
        list(executor.map_unordered(_die, None, [1, 2]))


def test_the_command_line_prints_a_run_failure_as_one_line(monkeypatch, capsys):
    from sim.cli import command

    def failing(args: object) -> int:
        raise RunFailure("no Dask worker joined the scheduler at tcp://x:8786 within 60 s")

    class Parser:  # any subcommand whose work raises a run failure
        def parse_args(self, argv: list[str]) -> argparse.Namespace:
            return argparse.Namespace(handler=failing)

    monkeypatch.setattr(command, "build_parser", Parser)
    assert command.main(["list"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["error: no Dask worker joined the scheduler at tcp://x:8786 within 60 s"]
