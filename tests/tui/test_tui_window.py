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
        await until(pilot, lambda: queue.table.held == WINDOW, "the first window")
        assert queue.total == JOBS
        assert queue.table.job_ids[0] == JOBS

        queue.table.go_to(WINDOW - 5)
        wanted = JOBS - (WINDOW - 5)
        await until(pilot, lambda: queue.view.offset > 0, "the window to slide")
        await until(pilot, lambda: queue.table.cursor_job == wanted, "the cursor")
        assert queue.table.held == WINDOW

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
        await until(pilot, lambda: queue.table.held == WINDOW, "the first window")
        queue.action_sort("id")
        await until(pilot, lambda: queue.table.job_ids[0] == 1, "ascending ids")
        queue.action_sort("name")
        # Names sort as text: job-1, job-10, job-100, job-1000, job-101, ...
        await until(
            pilot, lambda: queue.table.job_ids[:4] == [1, 10, 100, 1000], "by name"
        )


async def test_the_table_shows_only_the_rows_that_fit_and_refills_them_in_place(
    paths: Paths, hosting: Hosting
) -> None:
    fill(paths, JOBS)
    app = RunnerApp(hosting, refresh_interval=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.queue.table
        await until(pilot, lambda: table.held == WINDOW, "the first window")
        fits = table.row_count
        assert fits == table.size.height - table.header_height < WINDOW

        for _ in range(fits + 2):
            await pilot.press("down")
        assert table.cursor_row == fits - 1
        assert table.cursor_job == JOBS - (fits + 2)
        assert table.scroll_y == 0

        await pilot.press("pagedown")
        assert table.cursor_row == fits - 1
        assert table.cursor_job == JOBS - (2 * fits + 2)
        await pilot.press("ctrl+home")
        assert (table.cursor_row, table.cursor_job) == (0, JOBS)
