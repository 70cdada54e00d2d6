"""The app's headless parts: log tails, views, the form's checks, the sparkline."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console

from runner.tui.form import build_spec, field_errors
from runner.tui.logtail import LogTail
from runner.tui.view import View, wants_slide
from runner.tui.widgets.job_rows import Cell
from runner.tui.widgets.summary import bars


def test_a_log_tail_reads_only_the_end_of_a_huge_file(tmp_path: Path) -> None:
    log = tmp_path / "big.out"
    log.write_bytes(b"".join(b"line %07d\n" % n for n in range(200_000)))
    tail = LogTail(str(log), tail_bytes=4096)

    chunk = tail.read()

    assert chunk.skipped == log.stat().st_size - 4096
    assert len(chunk.text) <= 4096
    assert chunk.text.splitlines()[-1] == "line 0199999"
    assert chunk.text.startswith("line ")


def test_a_log_tail_follows_what_is_appended(tmp_path: Path) -> None:
    log = tmp_path / "grow.out"
    log.write_bytes(b"first\n")
    tail = LogTail(str(log))
    assert tail.read().text == "first\n"

    with log.open("ab") as out:
        out.write(b"second\n")

    assert tail.read().text == "second\n"
    assert tail.read().text == ""


def test_a_log_tail_removes_escapes_and_replaces_bad_bytes(tmp_path: Path) -> None:
    log = tmp_path / "nasty.out"
    log.write_bytes(b"\x1b[2J\x1b]0;title\x07ok \xff\xfe\x1b[31mred\x1b[0m\n")

    text = LogTail(str(log)).read().text

    assert text == "ok \ufffd\ufffdred\n"


def test_a_character_split_between_two_reads_is_decoded_whole(tmp_path: Path) -> None:
    log = tmp_path / "split.out"
    log.write_bytes("é".encode()[:1])
    tail = LogTail(str(log))
    first = tail.read().text
    with log.open("ab") as out:
        out.write("é\n".encode()[1:])

    assert first + tail.read().text == "é\n"


def test_a_log_tail_starts_over_when_the_file_is_replaced(tmp_path: Path) -> None:
    log = tmp_path / "rotated.out"
    log.write_bytes(b"old and long\n")
    tail = LogTail(str(log))
    tail.read()
    log.unlink()
    log.write_bytes(b"new\n")

    chunk = tail.read()

    assert chunk.reset and chunk.text == "new\n"


def test_a_missing_log_reads_as_nothing_yet(tmp_path: Path) -> None:
    chunk = LogTail(str(tmp_path / "later.out")).read()
    assert chunk.text == "" and not chunk.reset


def test_a_view_centres_its_window_on_a_position_within_the_queue() -> None:
    view = View(size=200)
    assert view.around(1000, 5000).offset == 900
    assert view.around(10, 5000).offset == 0
    assert view.around(4990, 5000).offset == 4800


def test_the_window_slides_only_near_an_edge_with_more_beyond() -> None:
    assert wants_slide(row=195, rows=200, offset=0, total=1000)
    assert not wants_slide(row=100, rows=200, offset=0, total=1000)
    assert not wants_slide(row=5, rows=200, offset=0, total=1000)
    assert wants_slide(row=5, rows=200, offset=400, total=1000)
    assert not wants_slide(row=199, rows=200, offset=800, total=1000)


def test_sorting_again_by_the_same_key_flips_the_direction() -> None:
    view = View(offset=300).sorted_by("name")
    assert (view.sort, view.descending, view.offset) == ("name", False, 0)
    assert view.sorted_by("name").descending


def test_the_state_filter_cycles_through_all_active_and_each_state() -> None:
    view = View()
    seen = []
    for _ in range(9):
        seen.append(view.states)
        view = view.next_state_filter()
    assert seen[:3] == [(), ("PENDING", "RUNNING"), ("PENDING",)]
    assert seen[8] == ()


def test_the_form_reports_every_bad_field_at_once() -> None:
    values = {"command": "  ", "cpus": "x", "directory": "/nope", "time": "1:2:3:4"}
    spec, errors = build_spec(values, 4, {})
    assert spec is None
    assert set(errors) == {"command", "cpus", "directory", "time"}


def test_a_good_form_makes_a_shell_job_with_its_limits(tmp_path: Path) -> None:
    values = {
        "command": "echo hi",
        "cpus": "2",
        "name": " greet ",
        "directory": str(tmp_path),
        "time": "1:30",
    }
    spec, errors = build_spec(values, 4, {"A": "1"})
    assert errors == {}
    assert spec is not None
    assert spec.argv == ["/bin/sh", "-c", "echo hi"]
    assert (spec.cpus, spec.name, spec.time_limit) == (2, "greet", 90)
    assert spec.cwd == os.path.abspath(tmp_path) and spec.env == {"A": "1"}


def test_a_refusal_from_the_host_lands_under_the_field_it_names() -> None:
    assert field_errors("-t/--time: too long") == {"time": "too long"}
    assert field_errors("database is locked") == {"form": "database is locked"}


def test_the_sparkline_scale_is_fixed_to_all_cpus() -> None:
    assert bars([0, 1, 2], total=2, width=3) == " ▄█"
    assert bars([2], total=2, width=4) == "   █"
    assert bars([0, 2, 0, 2], total=2, width=2) == "██"


def test_a_table_cell_is_one_line_of_literal_text_padded_or_cut_with_an_ellipsis() -> (
    None
):
    console = Console(width=8, color_system=None)

    def drawn(cell: Cell) -> str:
        return "".join(segment.text for segment in console.render(cell))

    assert drawn(Cell("[b]x[/]")) == "[b]x[/] "
    assert drawn(Cell("42", right=True)) == "      42"
    assert drawn(Cell("much too long")) == "much to…"
    assert drawn(Cell("日本語です")) == "日本語… "
