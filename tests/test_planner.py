"""The planner's decisions: priority order, the head's reservation, backfill."""

from __future__ import annotations

import math

from runner import planner
from runner.planner import Candidate, Holding
from runner.resources import Request, ResourceCounter, Totals

NOW = 1_000_000.0


def plan(
    candidates: list[Candidate],
    holdings: list[Holding] = (),
    totals: Totals | int = 4,
) -> tuple[planner.Plan, ResourceCounter]:
    """Plan against a real counter that already holds what holdings hold."""
    counter = ResourceCounter(totals)
    for holding in holdings:
        assert counter.try_reserve(holding.request) is not None
    result = planner.plan(
        candidates,
        list(holdings),
        lambda _job_id, request: counter.try_reserve(request) is not None,
        counter.free,
        NOW,
    )
    return result, counter


def job(
    job_id: int,
    cpus: int = 1,
    limit: int | None = None,
    blocked_by: str | None = None,
    mem: int = 0,
    gpus: int = 0,
) -> Candidate:
    return Candidate(job_id, Request(cpus, mem, gpus), limit, blocked_by)


def test_jobs_that_fit_start_in_the_order_given() -> None:
    result, counter = plan([job(3), job(1, cpus=2), job(2)])

    assert result.started == [3, 1, 2]
    assert result.reasons == {}
    assert counter.free_cpus == 0


def test_a_head_that_does_not_fit_waits_for_resources_the_rest_for_priority() -> None:
    result, _ = plan(
        [job(1, cpus=4), job(2, cpus=1)],
        [Holding(Request(2), NOW + 100)],
    )

    assert result.started == []
    assert result.reasons == {1: planner.RESOURCES, 2: planner.PRIORITY}


def test_a_job_whose_limit_ends_before_the_head_can_start_backfills() -> None:
    result, _ = plan(
        [job(1, cpus=4), job(2, cpus=2, limit=100)],
        [Holding(Request(2), NOW + 100)],
    )

    assert result.started == [2]
    assert result.reasons == {1: planner.RESOURCES}


def test_a_job_whose_limit_ends_after_the_head_can_start_does_not_backfill() -> None:
    result, _ = plan(
        [job(1, cpus=4), job(2, cpus=1, limit=101)],
        [Holding(Request(2), NOW + 100)],
    )

    assert result.started == []
    assert result.reasons == {1: planner.RESOURCES, 2: planner.PRIORITY}


def test_a_long_job_backfills_on_what_the_head_leaves_spare_and_uses_it_up() -> None:
    # 6 CPUs: 4 held until +100; the head wants 5, so one CPU is spare then.
    # Job 2 takes that CPU; job 3 would fit now but would delay the head.
    result, _ = plan(
        [job(1, cpus=5), job(2, cpus=1, limit=10_000), job(3, cpus=1, limit=10_000)],
        [Holding(Request(4), NOW + 100)],
        totals=6,
    )

    assert result.started == [2]
    assert result.reasons == {1: planner.RESOURCES, 3: planner.PRIORITY}


def test_a_short_backfill_leaves_the_spare_resources_for_a_later_long_one() -> None:
    # 6 CPUs: 4 held until +100; the head wants 5, so one CPU is spare then.
    result, _ = plan(
        [job(1, cpus=5), job(2, cpus=1, limit=50), job(3, cpus=1, limit=10_000)],
        [Holding(Request(4), NOW + 100)],
        totals=6,
    )

    assert result.started == [2, 3]
    assert result.reasons == {1: planner.RESOURCES}


def test_a_job_without_a_limit_never_jumps_the_head_even_when_it_fits() -> None:
    result, counter = plan(
        [job(1, cpus=4), job(2, cpus=1), job(3, cpus=1, limit=5)],
        [Holding(Request(3), NOW + 100)],
    )

    assert result.started == [3]
    assert result.reasons[2] == planner.PRIORITY
    assert counter.free_cpus == 0


def test_a_running_job_without_a_limit_leaves_the_head_time_unknown() -> None:
    """Nothing may jump a head whose start no limit bounds."""
    result, _ = plan(
        [job(1, cpus=4), job(2, cpus=1, limit=1)],
        [Holding(Request(2))],
    )

    assert result.started == []
    assert result.reasons == {1: planner.RESOURCES, 2: planner.PRIORITY}


def test_the_reservation_is_when_enough_limited_jobs_have_ended() -> None:
    # 8 CPUs: 2 free, 3 held until +50, 3 held with no limit; head wants 5.
    # At +50 five CPUs are free: a 49 s job may jump, a 51 s one may not.
    result, _ = plan(
        [job(1, cpus=5), job(2, cpus=2, limit=51), job(3, cpus=2, limit=49)],
        [Holding(Request(3)), Holding(Request(3), NOW + 50)],
        totals=8,
    )

    assert result.started == [3]
    assert result.reasons == {1: planner.RESOURCES, 2: planner.PRIORITY}


def test_a_job_started_this_round_counts_toward_the_head_reservation() -> None:
    # Job 1 starts with a 100 s limit; job 2 needs all 4 CPUs, so it can start
    # at +100; job 3 ends by then, job 4 does not.
    result, _ = plan(
        [
            job(1, cpus=2, limit=100),
            job(2, cpus=4),
            job(3, cpus=1, limit=100),
            job(4, cpus=1, limit=101),
        ]
    )

    assert result.started == [1, 3]
    assert result.reasons == {2: planner.RESOURCES, 4: planner.PRIORITY}


def test_a_head_waiting_on_a_job_without_a_limit_blocks_all_backfill() -> None:
    # 2 GPUs, one held with no limit: the head's two GPUs have no known time.
    result, _ = plan(
        [job(1, gpus=2), job(2, limit=1)],
        [Holding(Request(1, 0, 1))],
        totals=Totals(cpus=4, gpu_ids=(0, 1)),
    )

    assert result.started == []
    assert result.reasons == {1: planner.RESOURCES, 2: planner.PRIORITY}


def test_backfill_respects_every_kind_of_resource_the_head_reserved() -> None:
    # The head waits for the one GPU held until +100; CPUs are plentiful.
    # A long CPU-only job may run beside it, a long GPU job may not.
    result, _ = plan(
        [job(1, gpus=1), job(2, gpus=1, limit=500), job(3, cpus=2, limit=500)],
        [Holding(Request(1, 0, 1), NOW + 100)],
        totals=Totals(cpus=8, gpu_ids=(0,)),
    )

    assert result.started == [3]
    assert result.reasons == {1: planner.RESOURCES, 2: planner.PRIORITY}


def test_memory_counts_like_cpus_for_the_head_and_for_backfill() -> None:
    result, _ = plan(
        [job(1, mem=800), job(2, mem=300, limit=500), job(3, mem=200, limit=500)],
        [Holding(Request(1, 500), NOW + 100)],
        totals=Totals(cpus=8, mem=1000),
    )

    assert result.started == [3]
    assert result.reasons == {1: planner.RESOURCES, 2: planner.PRIORITY}


def test_blocked_jobs_keep_their_reason_and_neither_start_nor_reserve() -> None:
    result, counter = plan(
        [
            job(1, cpus=4, blocked_by=planner.HELD),
            job(2, blocked_by=planner.BEGIN_TIME),
            job(3, blocked_by=planner.DEPENDENCY),
            job(4, blocked_by=planner.ARRAY_LIMIT),
            job(5, cpus=4),
        ]
    )

    assert result.started == [5]
    assert result.reasons == {
        1: planner.HELD,
        2: planner.BEGIN_TIME,
        3: planner.DEPENDENCY,
        4: planner.ARRAY_LIMIT,
    }
    assert counter.free_cpus == 0


def test_a_blocked_job_behind_the_head_keeps_its_own_reason() -> None:
    result, _ = plan(
        [job(1, cpus=4), job(2, limit=1, blocked_by=planner.HELD)],
        [Holding(Request(2), NOW + 100)],
    )

    assert result.reasons == {1: planner.RESOURCES, 2: planner.HELD}


def test_only_the_first_job_that_does_not_fit_gets_a_reservation() -> None:
    # Jobs 1 and 2 both wait for CPUs; job 2 is behind the head, so Priority.
    result, _ = plan(
        [job(1, cpus=3), job(2, cpus=3), job(3, cpus=2, limit=10)],
        [Holding(Request(3), NOW + 10)],
    )

    assert result.started == []
    assert result.reasons == {
        1: planner.RESOURCES,
        2: planner.PRIORITY,
        3: planner.PRIORITY,
    }


def test_a_backfill_that_fits_the_time_but_not_the_free_resources_waits() -> None:
    result, counter = plan(
        [job(1, cpus=4), job(2, cpus=3, limit=1)],
        [Holding(Request(2), NOW + 100)],
    )

    assert result.started == []
    assert result.reasons[2] == planner.PRIORITY
    assert counter.free_cpus == 2


def test_holdings_default_to_no_end() -> None:
    assert math.isinf(Holding(Request(1)).ends)
