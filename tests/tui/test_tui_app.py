"""The app driven by Pilot against a real, embedded host in a temp home."""

from __future__ import annotations

import os

from textual.pilot import Pilot
from textual.widgets import Input, Log, Static

from runner.client import Client
from runner.config import Paths
from runner.spec import JobSpec, shell_argv
from runner.tui.app import RunnerApp
from runner.tui.hosting import Hosting
from runner.tui.screens.confirm import ConfirmScreen
from runner.tui.screens.details import JobScreen
from runner.tui.screens.submit import SubmitScreen

from .waiting import until

SIZE = (120, 40)


def submit(paths: Paths, command: str, name: str | None = None) -> int:
    spec = JobSpec(shell_argv(command), os.getcwd(), dict(os.environ), name)
    return Client(paths).request("add", spec=spec.to_dict())["id"]


async def open_form(pilot: Pilot, app: RunnerApp) -> None:
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, SubmitScreen), "the form")


def state_of(app: RunnerApp, job_id: int) -> str | None:
    table = app.queue.table
    return table.cells(job_id)[2] if job_id in table.job_ids else None


def toasts(app: RunnerApp) -> list[str]:
    return [str(note.message) for note in app._notifications]


async def test_the_title_says_the_app_embeds_the_host_when_none_runs(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        assert hosting.host is not None
        assert app.sub_title.startswith("embedded host")


async def test_a_job_submitted_through_the_form_appears_and_runs_to_completion(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        await open_form(pilot, app)
        app.screen.query_one("#command", Input).value = "echo from-the-form"
        app.screen.query_one("#name", Input).value = "formed"
        await pilot.press("ctrl+s")

        await until(pilot, lambda: app.queue.table.row_count == 1, "the new row")
        job_id = app.queue.table.job_ids[0]
        assert app.queue.table.cells(job_id)[1] == "formed"
        await until(pilot, lambda: state_of(app, job_id) == "COMPLETED", "the end")


async def test_the_form_shows_what_is_wrong_under_each_field_and_queues_nothing(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        await open_form(pilot, app)
        form = app.screen
        form.query_one("#cpus", Input).value = "3"
        form.query_one("#directory", Input).value = "/no/such/directory"
        form.query_one("#time", Input).value = "soon"
        await pilot.press("ctrl+s")

        def error(field: str) -> str:
            return str(form.query_one(f"#{field}-error", Static).render())

        await until(pilot, lambda: error("cpus"), "the messages")
        assert "more than the 2 CPUs" in error("cpus")
        assert "not a directory" in error("directory")
        assert "not a time" in error("time")
        assert "type the command" in error("command")
        assert isinstance(app.screen, SubmitScreen)
    counts = Client(hosting.paths).request("list", limit=0)["counts"]
    assert sum(counts.values()) == 0


async def test_the_form_opens_empty_again_after_it_was_closed(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        await open_form(pilot, app)
        app.screen.query_one("#cpus", Input).value = "99"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue, "the queue again")

        await open_form(pilot, app)
        assert app.screen.query_one("#cpus", Input).value == "1"


async def test_cancelling_asks_first_and_the_row_becomes_cancelled(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        job_id = submit(hosting.paths, "sleep 60", "sleeper")
        await until(pilot, lambda: state_of(app, job_id) == "RUNNING", "the start")

        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the ask")
        await pilot.press("y")

        await until(pilot, lambda: state_of(app, job_id) == "CANCELLED", "the cancel")


async def test_declining_the_confirmation_leaves_the_job_running(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        job_id = submit(hosting.paths, "sleep 60")
        await until(pilot, lambda: state_of(app, job_id) == "RUNNING", "the start")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the ask")
        await pilot.press("n")
        await until(pilot, lambda: app.screen is app.queue, "the queue again")
        assert not [worker for worker in app.workers if worker.group == "verbs"]
        assert state_of(app, job_id) == "RUNNING"
        Client(hosting.paths).request("cancel", ids=[job_id])


async def test_a_log_with_markup_escapes_and_bad_bytes_is_shown_literally(
    hosting: Hosting,
) -> None:
    command = r"printf '[bold red]x[/] \033[31mred\033[0m \377\376 end\n'; echo e >&2"
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        job_id = submit(hosting.paths, command, "[bold red]x[/]")
        await until(pilot, lambda: state_of(app, job_id) == "COMPLETED", "the end")
        assert app.queue.table.cells(job_id)[1] == "[bold red]x[/]"

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobScreen), "the details")
        log = app.screen.query_one(Log)
        await until(pilot, lambda: log.line_count >= 1, "the log")
        line = log.lines[0]
        assert line == "[bold red]x[/] red \ufffd\ufffd end"
        assert "\x1b" not in line

        await pilot.press("t")
        await until(pilot, lambda: log.lines[:1] == ["e"], "the stderr log")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue, "the queue again")


async def test_a_job_that_fails_raises_a_toast(hosting: Hosting) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.queue.counts is not None, "the first load")
        job_id = submit(hosting.paths, "exit 3", "doomed")
        wanted = f"Job {job_id} (doomed) failed"
        await until(
            pilot, lambda: any(wanted in toast for toast in toasts(app)), "a toast"
        )


async def test_filters_by_state_and_by_text_narrow_the_rows(hosting: Hosting) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        done = submit(hosting.paths, "true", "alpha")
        failed = submit(hosting.paths, "exit 1", "beta")
        await until(pilot, lambda: state_of(app, failed) == "FAILED", "the ends")
        await until(pilot, lambda: state_of(app, done) == "COMPLETED", "the ends")

        app.queue.action_state_filter(("FAILED",))
        await until(pilot, lambda: app.queue.table.job_ids == [failed], "the filter")
        app.queue.action_state_filter(())
        await pilot.press("slash")
        await pilot.press(*"alph")
        await until(pilot, lambda: app.queue.table.job_ids == [done], "the search")


async def test_opening_another_job_shows_its_fields_and_log_alone(
    hosting: Hosting,
) -> None:
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.info is not None, "the connection")
        first = submit(hosting.paths, "echo first-log", "first")
        second = submit(hosting.paths, "echo second-log", "second")
        await until(pilot, lambda: state_of(app, first) == "COMPLETED", "the first")
        await until(pilot, lambda: state_of(app, second) == "COMPLETED", "the second")

        await shows_job(pilot, app, second, "second")
        await shows_job(pilot, app, first, "first")


async def shows_job(pilot: Pilot, app: RunnerApp, job_id: int, word: str) -> None:
    """Open the job, see its fields and its log alone, and go back."""
    app.queue.table.go_to(app.queue.table.job_ids.index(job_id))
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, JobScreen), "the details")
    log = app.screen.query_one(Log)
    await until(pilot, lambda: log.lines[:1] == [f"{word}-log"], "its log")
    assert [line for line in log.lines if line.strip()] == [f"{word}-log"]
    screen = app.screen
    assert isinstance(screen, JobScreen)
    await until(pilot, lambda: screen.job and screen.job["name"] == word, "its fields")
    await pilot.press("escape")
    await until(pilot, lambda: app.screen is app.queue, "the queue again")
