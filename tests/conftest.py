"""Fixtures: a real SQLite file per test, and throwaway runner homes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from runner.db import Database  # noqa: E402
from tests.home import RunnerHome, python_path  # noqa: E402

os.environ["PYTHONPATH"] = python_path()
"""So that processes a test starts (the launcher, keepers) run this checkout."""


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A fresh database file, at the current schema."""
    database = Database(tmp_path / "runner.db")
    yield database
    database.close()


@pytest.fixture
def home() -> Iterator[RunnerHome]:
    """A runner home with 2 CPUs and a 1 s grace; stopped and removed after."""
    runner_home = RunnerHome(cpus=2, grace=1.0)
    yield runner_home
    runner_home.close()


@pytest.fixture
def make_home() -> Iterator[type[RunnerHome]]:
    """A factory for homes with other settings; each is cleaned up after."""
    made: list[RunnerHome] = []

    def make(cpus: int = 2, grace: float = 1.0) -> RunnerHome:
        runner_home = RunnerHome(cpus=cpus, grace=grace)
        made.append(runner_home)
        return runner_home

    yield make  # type: ignore[misc]
    for runner_home in made:
        runner_home.close()


@pytest.fixture(scope="module")
def shared_home() -> Iterator[RunnerHome]:
    """One home for a module of tests whose jobs do not disturb each other."""
    runner_home = RunnerHome(cpus=2, grace=1.0)
    yield runner_home
    runner_home.close()
