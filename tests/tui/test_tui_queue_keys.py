"""The queue screen's keys, footer, title and status line, on a real host."""

from __future__ import annotations

import os
from typing import Any

from textual.widgets import Input, Static

from runner.client import Client
from runner.config import Paths
from runner.spec import JobSpec, shell_argv
from runner.tui.app import RunnerApp
from runner.tui.hosting import Hosting

from .waiting import until, wait_for

SIZE = (80, 24)


def add(paths: Paths, command: str, **fields: Any) -> int:
    spec = JobSpec(shell_argv(command), os.getcwd(), dict(os.environ), **fields)
    return Client(paths).request("add", spec=spec.to_dict())["id"]


def footer_verbs(app: RunnerApp) -> set[str]:
    """The descriptions of the keys the footer shows now."""
    bindings = app.screen.active_bindings.values()
    return {
        binding.description for _node, binding, _on, _tip in bindings if binding.show
    }


async def test_esc_in_the_filter_drops_what_was_typed_and_gives_keys_back(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        add(hosting.paths, "true", name="alpha")
        await until(pilot, lambda: app.queue.table.row_count == 1, "the row")

        await pilot.press("slash", "x", "escape")
        assert app.queue.table.has_focus
        assert app.queue.query_one("#search", Input).value == ""
        await until(pilot, lambda: app.queue.view.text == "", "the filter dropped")
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running, "the app to quit")


async def test_the_footer_shows_the_verbs_that_apply_to_the_job_under_the_cursor(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        running = add(hosting.paths, "sleep 30", cpus=2)
        held = add(hosting.paths, "sleep 1", hold=True)
        table = app.queue.table
        await until(pilot, lambda: table.job_ids == [held, running], "the rows")
        await until(pilot, lambda: table.cells(running)[2] == "RUNNING", "the start")

        table.go_to(0)
        await until(pilot, lambda: "Release" in footer_verbs(app), "release shown")
        assert {"Cancel", "Top"} <= footer_verbs(app)
        assert not {"Hold", "Pause", "Retry"} & footer_verbs(app)

        table.go_to(1)
        await until(pilot, lambda: "Pause" in footer_verbs(app), "pause shown")
        assert not {"Hold", "Release", "Top", "Retry"} & footer_verbs(app)


async def test_the_title_follows_a_new_host_after_the_old_one_stopped(
    paths: Paths,
) -> None:
    first = Client(paths).request("ping")["pid"]  # starts a headless host
    hosting = Hosting(paths)
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        assert f"client of host pid {first}" in app.sub_title

        Client(paths, autostart=False).request("stop", timeout=5)
        wait_for(lambda: not paths.socket.exists(), "the first host to stop")
        add(paths, "true")  # starts another
        second = Client(paths).request("ping")["pid"]
        assert second != first
        shown = f"client of host pid {second}"
        await until(pilot, lambda: shown in app.sub_title, "the new host's pid")
    hosting.close()


async def test_a_filter_that_matches_nothing_says_how_many_jobs_there_are(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        add(hosting.paths, "true", name="alpha")
        add(hosting.paths, "true", name="beta")
        await until(pilot, lambda: app.queue.table.row_count == 2, "the rows")

        await pilot.press("slash", *"nothing-like-it", "enter")
        where = app.queue.query_one("#where", Static)
        await until(pilot, lambda: "none of 2 match" in str(where.content), "the line")
