"""The job screen against a real host: every field, laid out to fit."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from runner.client import Client
from runner.config import Paths
from runner.spec import JobSpec, shell_argv
from runner.tui.app import RunnerApp
from runner.tui.hosting import Hosting
from runner.tui.screens.details import JobScreen

from .waiting import until

LONG_NAME = "resnet50-imagenet-lr0.001-bs256-seed42-warmup5-cosine-v2-" + "x" * 45


def add(paths: Paths, command: str, **fields: Any) -> int:
    spec = JobSpec(shell_argv(command), os.getcwd(), dict(os.environ), **fields)
    return Client(paths).request("add", spec=spec.to_dict())["id"]


async def open_job(pilot: Pilot, app: RunnerApp, job_id: int) -> JobScreen:
    await until(pilot, lambda: job_id in app.queue.table.job_ids, "the row")
    app.queue.table.go_to(app.queue.table.job_ids.index(job_id))
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, JobScreen), "the details")
    screen = app.screen
    assert isinstance(screen, JobScreen)
    await until(pilot, lambda: screen.job is not None, "the fields")
    await pilot.pause()
    return screen


def shown_lines(screen: JobScreen) -> list[str]:
    """The fields as drawn at the width the screen gives them."""
    widget = screen.query_one("#fields", Static)
    console = Console(width=widget.content_size.width, color_system=None)
    with console.capture() as capture:
        console.print(widget.content)
    return capture.get().splitlines()


def label_of(line: str) -> str:
    return line.split(" ", 1)[0]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_long_name_wraps_and_leaves_every_label_whole(
    hosting: Hosting, size: tuple[int, int]
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        job_id = add(hosting.paths, "sleep 30", name=LONG_NAME)
        screen = await open_job(pilot, app, job_id)
        drawn = lambda: any("RUNNING" in line for line in shown_lines(screen))  # noqa: E731
        await until(pilot, drawn, "the job drawn running")
        await pilot.pause(0.5)  # a live refresh or two

        lines = shown_lines(screen)
        labels = [label_of(line) for line in lines if line[:1] != " "]
        for label in ("Job", "CPUs", "Submitted", "Name", "Command", "Directory"):
            assert label in labels
        assert all("…" not in label for label in labels)
        assert any("State" in line and "RUNNING" in line for line in lines)
        name = "".join(line.split()[-1] for line in lines if LONG_NAME[:8] in line)
        assert LONG_NAME.startswith(name) and len(name) > 40


async def test_the_details_show_resources_dependency_begin_time_and_both_logs(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        first = add(hosting.paths, "sleep 30", hold=True)
        begin = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
        job_id = add(
            hosting.paths,
            "sleep 1",
            mem=512,
            retries=2,
            begin=begin,
            dependency=f"afterany:{first}",
        )
        screen = await open_job(pilot, app, job_id)

        text = "\n".join(shown_lines(screen))
        for label in ("Memory", "Begins", "Attempt", "Depends", "Stdout", "Stderr"):
            assert label in text
        assert "512 MiB" in text and f"afterany:{first}" in text
        assert "1 of 3" in text
        assert "waiting to begin at" in text


async def test_a_held_job_says_it_is_held_in_the_details_and_the_table(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        job_id = add(hosting.paths, "sleep 1", hold=True)
        await until(pilot, lambda: job_id in app.queue.table.job_ids, "the row")
        assert app.queue.table.cells(job_id)[2] == "HELD"

        screen = await open_job(pilot, app, job_id)
        text = "\n".join(shown_lines(screen))
        assert "PENDING (held)" in text
        assert "held: it will not start until released" in text
        assert "waiting for" not in text
