"""A queue far bigger than the table: the app shows a window and slides it."""

from __future__ import annotations

from runner.config import Paths
from runner.tui.app import RunnerApp
from runner.tui.hosting import Hosting
from runner.tui.view import WINDOW

from .bulk import fill
from .waiting import until

JOBS = 1000


async def test_the_table_holds_one_window_of_a_big_queue_and_slides_with_the_cursor(
    paths: Paths, hosting: Hosting
) -> None:
    fill(paths, JOBS)
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        queue = app.queue
        await until(pilot, lambda: queue.table.row_count == WINDOW, "the first window")
        assert queue.total == JOBS
        assert queue.table.job_ids[0] == JOBS

        queue.table.move_cursor(row=WINDOW - 5)
        wanted = JOBS - (WINDOW - 5)
        await until(pilot, lambda: queue.view.offset > 0, "the window to slide")
        await until(pilot, lambda: queue.table.cursor_job == wanted, "the cursor")
        assert queue.table.row_count == WINDOW

        await pilot.press("end")
        await until(pilot, lambda: queue.table.cursor_job == 1, "the last job")
        assert queue.view.offset == JOBS - WINDOW
        await pilot.press("home")
        await until(pilot, lambda: queue.table.cursor_job == JOBS, "the first job")


async def test_sorting_is_done_by_the_host_across_the_whole_queue(
    paths: Paths, hosting: Hosting
) -> None:
    fill(paths, JOBS)
    app = RunnerApp(hosting, refresh_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        queue = app.queue
        await until(pilot, lambda: queue.table.row_count == WINDOW, "the first window")
        queue.action_sort("id")
        await until(pilot, lambda: queue.table.job_ids[0] == 1, "ascending ids")
        queue.action_sort("name")
        # Names sort as text: job-1, job-10, job-100, job-1000, job-101, ...
        await until(
            pilot, lambda: queue.table.job_ids[:4] == [1, 10, 100, 1000], "by name"
        )
