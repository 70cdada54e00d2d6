"""The layout at 80x24 and 120x40, with fixed jobs and a stopped clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Log, Static

from runner.tui.app import RunnerApp
from runner.tui.screens.details import JobScreen
from runner.tui.screens.submit import SubmitScreen

from .fake_host import JOBS, NOW, FakeAccess
from .waiting import until

LOG = (
    b"epoch 1 loss 0.93\n"
    b"\x1b[31m[bold red]not markup[/]\x1b[0m and a bad byte \xff\n"
    b"epoch 2 loss 0.71\n"
)


@pytest.fixture(autouse=True)
def fixed_place(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """UTC wall clock, and the fake jobs' logs in the working directory."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "7.out").write_bytes(LOG)
    yield
    monkeypatch.undo()
    time.tzset()


def make_app() -> RunnerApp:
    return RunnerApp(FakeAccess(), clock=lambda: NOW, refresh_interval=3600)  # type: ignore[arg-type]


async def loaded(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, RunnerApp)
    await until(pilot, lambda: app.queue.table.row_count == len(JOBS), "the rows")


async def job_open(pilot: Pilot) -> None:
    await loaded(pilot)
    app = pilot.app
    await pilot.press("down", "down", "enter")
    await until(pilot, lambda: isinstance(app.screen, JobScreen), "the details")
    await until(pilot, lambda: app.screen.query_one(Log).line_count >= 3, "the log")
    await pilot.pause()


async def form_refused(pilot: Pilot) -> None:
    await loaded(pilot)
    app = pilot.app
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, SubmitScreen), "the form")
    app.screen.query_one("#cpus", Input).value = "99"
    app.screen.query_one("#directory", Input).value = "/home/ada/project"
    await pilot.press("ctrl+s")
    error = app.screen.query_one("#cpus-error", Static)
    await until(pilot, lambda: str(error.render()), "the messages")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_queue_fits_the_terminal(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_job_details_fit_the_terminal(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=job_open)


def test_the_refused_form_fits_a_small_terminal(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=form_refused)
