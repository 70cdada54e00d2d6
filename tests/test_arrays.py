"""Job arrays as sbatch spells them: task ids, throttle, `{}` and log names."""

from __future__ import annotations

import pytest

from runner import arrays
from runner.arrays import ArraySpec
from runner.spec import SpecError


@pytest.mark.parametrize(
    ("text", "tasks"),
    [
        ("7", (7,)),
        ("1-5", (1, 2, 3, 4, 5)),
        ("0-15:4", (0, 4, 8, 12)),
        ("0-14:4", (0, 4, 8, 12)),
        ("3-3", (3,)),
        ("1,3,7", (1, 3, 7)),
        ("1-3,10,20-24:2", (1, 2, 3, 10, 20, 22, 24)),
        (" 1 , 3 ", (1, 3)),
        ("9,2", (9, 2)),
    ],
)
def test_each_spelling_gives_its_task_ids_in_order(
    text: str, tasks: tuple[int, ...]
) -> None:
    assert arrays.parse(text) == ArraySpec(tasks, None)


def test_a_percent_suffix_throttles_the_array() -> None:
    assert arrays.parse("1-200%4") == ArraySpec(tuple(range(1, 201)), 4)
    assert arrays.parse("1,3,7%1").throttle == 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "1-",
        "-3",
        "1--3",
        "1-3:",
        "1-3:x",
        "1,,2",
        "1;2",
        "1-3%",
        "1.5",
        "1-3:2:1",
    ],
)
def test_malformed_arrays_are_refused_naming_the_flag(text: str) -> None:
    with pytest.raises(SpecError, match="-a/--array"):
        arrays.parse(text)


@pytest.mark.parametrize("text", ["5-1", "1-3:0"])
def test_empty_ranges_are_refused(text: str) -> None:
    with pytest.raises(SpecError, match="empty range"):
        arrays.parse(text)


@pytest.mark.parametrize("throttle", ["0", "x", "-1", "2%3"])
def test_a_throttle_must_be_a_positive_whole_number(throttle: str) -> None:
    with pytest.raises(SpecError, match="throttle"):
        arrays.parse(f"1-10%{throttle}")


def test_a_task_named_twice_is_refused() -> None:
    with pytest.raises(SpecError, match="twice"):
        arrays.parse("1-5,3")


def test_more_tasks_than_the_limit_are_refused_without_building_them_all() -> None:
    assert len(arrays.parse(f"1-{arrays.MAX_TASKS}").tasks) == arrays.MAX_TASKS
    with pytest.raises(SpecError, match="more than"):
        arrays.parse(f"1-{arrays.MAX_TASKS + 1}")
    with pytest.raises(SpecError, match="more than"):
        arrays.parse(f"1-{arrays.MAX_TASKS},{arrays.MAX_TASKS + 1}")
    with pytest.raises(SpecError, match="more than"):
        arrays.parse("1-300000000")
    with pytest.raises(SpecError, match="more than"):
        arrays.parse("0-999999999999999")


def test_braces_in_any_argument_stand_for_the_task_id() -> None:
    argv = ["python3", "train.py", "--seed={}", "out/{}/{}.txt", "{x}"]

    assert arrays.task_argv(argv, 12) == [
        "python3",
        "train.py",
        "--seed=12",
        "out/12/12.txt",
        "{x}",
    ]


def test_log_patterns_expand_array_task_job_and_name() -> None:
    name = arrays.log_name("%x-%A_%a.%j.out", 17, 11, 3, "sweep")

    assert name == "sweep-11_3.17.out"


def test_log_patterns_for_a_plain_job_use_its_own_id_and_task_zero() -> None:
    assert arrays.log_name("%A_%a_%j", 5, None, None, "job") == "5_0_5"


def test_a_double_percent_is_a_literal_percent_and_unknown_patterns_stay() -> None:
    assert arrays.log_name("100%%_%j_%q_%", 4, None, None, "n") == "100%_4_%q_%"
    assert arrays.log_name("%%j", 4, None, None, "n") == "%j"


def test_a_slash_in_the_name_cannot_move_the_log_to_another_folder() -> None:
    assert arrays.log_name("logs/%x.out", 1, None, None, "../etc/x") == (
        "logs/.._etc_x.out"
    )
