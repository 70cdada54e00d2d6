"""Dependencies as sbatch spells them: parsing, and when they hold."""

from __future__ import annotations

import pytest

from runner import dependency as deps
from runner.dependency import Dependency, Term
from runner.spec import SpecError


def test_one_term_with_several_ids_parses_and_prints_back() -> None:
    parsed = deps.parse("afterok:1:2:3")

    assert parsed == Dependency((Term("afterok", (1, 2, 3)),))
    assert str(parsed) == "afterok:1:2:3"
    assert parsed.ids == {1, 2, 3}


def test_a_comma_joins_terms_that_must_all_hold() -> None:
    parsed = deps.parse(" afterok:1,afterany:2 , afternotok:3,after:4 ")

    assert not parsed.any_of
    assert [term.kind for term in parsed.terms] == [
        "afterok",
        "afterany",
        "afternotok",
        "after",
    ]
    assert str(parsed) == "afterok:1,afterany:2,afternotok:3,after:4"


def test_a_question_mark_joins_terms_of_which_one_must_hold() -> None:
    parsed = deps.parse("afterok:1?afternotok:2")

    assert parsed.any_of
    assert str(parsed) == "afterok:1?afternotok:2"
    assert deps.parse(str(parsed)) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "afterok",
        "afterok:",
        "afterok:x",
        "afterok:1:",
        "afterok::1",
        "singleton",
        "aftercorr:1",
        "AFTEROK:1",
        "afterok:1,",
        "afterok:1;afterany:2",
        "afterok:-1",
        "afterok:1,afterany:2?afterok:3",
    ],
)
def test_malformed_dependencies_are_refused_naming_the_flag(text: str) -> None:
    with pytest.raises(SpecError, match="-d/--dependency"):
        deps.parse(text)


def test_job_id_zero_is_refused() -> None:
    with pytest.raises(SpecError, match="id 0"):
        deps.parse("afterok:2:0")


def test_array_ids_expand_to_their_tasks() -> None:
    parsed = deps.parse("afterok:5,afterany:9")
    tasks = {5: [5, 6, 7]}

    expanded = parsed.expand(lambda job_id: tasks.get(job_id, [job_id]))

    assert str(expanded) == "afterok:5:6:7,afterany:9"


@pytest.mark.parametrize(
    ("kind", "state", "outcome"),
    [
        ("afterok", "PENDING", deps.WAIT),
        ("afterok", "RUNNING", deps.WAIT),
        ("afterok", "SUSPENDED", deps.WAIT),
        ("afterok", "COMPLETED", deps.MET),
        ("afterok", "FAILED", deps.NEVER),
        ("afterok", "CANCELLED", deps.NEVER),
        ("afterok", "TIMEOUT", deps.NEVER),
        ("afterok", "OUT_OF_MEMORY", deps.NEVER),
        ("afternotok", "RUNNING", deps.WAIT),
        ("afternotok", "COMPLETED", deps.NEVER),
        ("afternotok", "FAILED", deps.MET),
        ("afternotok", "CANCELLED", deps.MET),
        ("afternotok", "TIMEOUT", deps.MET),
        ("afternotok", "OUT_OF_MEMORY", deps.MET),
        ("afterany", "RUNNING", deps.WAIT),
        ("afterany", "COMPLETED", deps.MET),
        ("afterany", "FAILED", deps.MET),
        ("afterany", "CANCELLED", deps.MET),
        ("after", "PENDING", deps.WAIT),
        ("after", "RUNNING", deps.MET),
        ("after", "SUSPENDED", deps.MET),
        ("after", "COMPLETED", deps.MET),
        ("after", "CANCELLED", deps.MET),
    ],
)
def test_each_kind_holds_waits_or_can_never_hold_by_the_state_of_its_job(
    kind: str, state: str, outcome: str
) -> None:
    result, _ = deps.evaluate(deps.parse(f"{kind}:1"), {1: state})

    assert result == outcome


def test_a_job_that_no_longer_exists_can_never_satisfy_a_term() -> None:
    assert deps.evaluate(deps.parse("afterany:1"), {}) == (deps.NEVER, "afterany:1")


def test_every_id_of_a_term_must_satisfy_it() -> None:
    dependency = deps.parse("afterok:1:2")

    assert deps.evaluate(dependency, {1: "COMPLETED", 2: "RUNNING"})[0] == deps.WAIT
    assert deps.evaluate(dependency, {1: "COMPLETED", 2: "COMPLETED"})[0] == deps.MET
    assert deps.evaluate(dependency, {1: "RUNNING", 2: "FAILED"})[0] == deps.NEVER


def test_all_of_is_never_as_soon_as_one_term_is_never_and_names_that_term() -> None:
    dependency = deps.parse("afterok:1,afterok:2")

    assert deps.evaluate(dependency, {1: "RUNNING", 2: "FAILED"}) == (
        deps.NEVER,
        "afterok:2",
    )


def test_all_of_waits_on_the_first_term_still_open() -> None:
    dependency = deps.parse("afterok:1,afterany:2")

    assert deps.evaluate(dependency, {1: "COMPLETED", 2: "RUNNING"}) == (
        deps.WAIT,
        "afterany:2",
    )
    assert deps.evaluate(dependency, {1: "COMPLETED", 2: "FAILED"}) == (deps.MET, "")


def test_any_of_holds_once_one_term_holds_even_if_another_never_will() -> None:
    dependency = deps.parse("afterok:1?afternotok:2")

    assert deps.evaluate(dependency, {1: "FAILED", 2: "FAILED"}) == (deps.MET, "")
    assert deps.evaluate(dependency, {1: "RUNNING", 2: "COMPLETED"}) == (
        deps.WAIT,
        "afterok:1?afternotok:2",
    )


def test_any_of_is_never_only_when_every_term_is_never() -> None:
    dependency = deps.parse("afterok:1?afternotok:2")

    assert deps.evaluate(dependency, {1: "FAILED", 2: "COMPLETED"}) == (
        deps.NEVER,
        "afterok:1?afternotok:2",
    )
