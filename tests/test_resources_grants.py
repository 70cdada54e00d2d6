"""The counter's grants: distinct GPU and core indices, release and rebuild."""

from __future__ import annotations

import threading

import pytest

from runner.resources import (
    Grant,
    Request,
    ResourceCounter,
    ResourceError,
    Totals,
    format_ids,
    parse_ids,
)

MACHINE = Totals(cpus=4, mem=1000, gpu_ids=(0, 1, 3), core_ids=(4, 5, 6, 7))


def held_indices(grants: list[Grant]) -> tuple[list[int], list[int]]:
    gpus = [gpu for grant in grants for gpu in grant.gpu_ids]
    cores = [core for grant in grants for core in grant.core_ids]
    return gpus, cores


def test_each_grant_gets_as_many_gpus_and_cores_as_it_asked_for() -> None:
    counter = ResourceCounter(MACHINE)

    grant = counter.try_reserve(Request(cpus=2, mem=100, gpus=2))

    assert grant == Grant(2, 100, (0, 1), (4, 5))
    assert counter.free() == Request(2, 900, 1)


def test_grants_never_share_a_gpu_or_a_core() -> None:
    counter = ResourceCounter(MACHINE)

    grants = [counter.try_reserve(Request(1, 0, 1)) for _ in range(3)]

    gpus, cores = held_indices(grants)
    assert sorted(gpus) == [0, 1, 3]
    assert len(set(cores)) == 3
    assert counter.try_reserve(Request(1, 0, 1)) is None


def test_a_job_asking_for_no_gpu_gets_none() -> None:
    counter = ResourceCounter(MACHINE)

    assert counter.try_reserve(Request(1)).gpu_ids == ()


def test_a_request_that_does_not_fit_changes_nothing() -> None:
    counter = ResourceCounter(MACHINE)
    counter.try_reserve(Request(3, 900, 1))

    for request in (Request(2), Request(1, 101), Request(1, 0, 3)):
        assert counter.try_reserve(request) is None

    assert counter.free() == Request(1, 100, 2)
    assert counter.try_reserve(Request(1, 100, 2)) == Grant(1, 100, (1, 3), (7,))


def test_a_released_gpu_and_core_are_handed_out_again() -> None:
    counter = ResourceCounter(MACHINE)
    first = counter.try_reserve(Request(1, 0, 1))
    second = counter.try_reserve(Request(1, 0, 1))

    counter.release(first)
    third = counter.try_reserve(Request(1, 0, 1))

    assert third.gpu_ids == first.gpu_ids
    assert third.core_ids == first.core_ids
    assert not set(third.gpu_ids) & set(second.gpu_ids)
    assert not set(third.core_ids) & set(second.core_ids)


def test_releasing_everything_frees_everything() -> None:
    counter = ResourceCounter(MACHINE)
    grants = [counter.try_reserve(Request(1, 250, 1)) for _ in range(3)]
    grants.append(counter.try_reserve(Request(1, 250)))

    for grant in grants:
        counter.release(grant)

    assert counter.free() == Request(4, 1000, 3)
    assert counter.try_reserve(Request(4, 1000, 3)) == Grant(
        4, 1000, (0, 1, 3), (4, 5, 6, 7)
    )


def test_without_cores_configured_jobs_are_not_pinned() -> None:
    counter = ResourceCounter(Totals(cpus=2))

    assert counter.try_reserve(Request(2)).core_ids == ()


def test_memory_is_not_counted_when_the_machine_has_no_total() -> None:
    counter = ResourceCounter(Totals(cpus=2))

    grant = counter.try_reserve(Request(1, mem=10**9))

    assert grant is not None
    assert counter.free().mem == 0


def test_releasing_more_than_is_held_is_a_bug_and_changes_nothing() -> None:
    counter = ResourceCounter(MACHINE)
    counter.try_reserve(Request(1, 100))

    with pytest.raises(ResourceError):
        counter.release(Grant(2))
    with pytest.raises(ResourceError):
        counter.release(Grant(1, 200))

    assert counter.free() == Request(3, 900, 3)


def test_rebuild_takes_the_held_indices_out_of_what_is_handed_out() -> None:
    counter = ResourceCounter(MACHINE)
    counter.try_reserve(Request(4, 1000, 3))

    counter.rebuild([Grant(1, 100, (1,), (5,)), Grant(2, 200, (3,), (4, 6))])

    assert counter.free() == Request(1, 700, 1)
    assert counter.try_reserve(Request(1, 0, 1)) == Grant(1, 0, (0,), (7,))


def test_rebuild_then_release_keeps_free_equal_total_minus_held() -> None:
    counter = ResourceCounter(MACHINE)
    held = [Grant(1, 100, (0,), (4,)), Grant(1, 300, (), (6,))]
    counter.rebuild(held)

    counter.release(held[0])
    fresh = counter.try_reserve(Request(2, 0, 2))

    assert counter.free() == Request(1, 700, 1)
    assert fresh.gpu_ids == (0, 1)
    assert set(fresh.core_ids) == {4, 5}


def test_rebuild_from_nothing_frees_everything() -> None:
    counter = ResourceCounter(MACHINE)
    counter.try_reserve(Request(4, 1000, 3))

    counter.rebuild([])

    assert counter.free() == Request(4, 1000, 3)
    assert counter.used_cpus == 0


def test_a_job_is_pinned_only_when_it_can_have_cores_of_its_own() -> None:
    # Six CPUs handed out over four cores: the fifth CPU has no core left.
    counter = ResourceCounter(Totals(cpus=6, core_ids=(0, 1, 2, 3)))
    counter.try_reserve(Request(4))

    grant = counter.try_reserve(Request(1))

    assert grant == Grant(1, 0, (), ())


def test_concurrent_reservations_never_hand_out_an_index_twice() -> None:
    counter = ResourceCounter(Totals(cpus=64, gpu_ids=tuple(range(4))))
    held: set[int] = set()
    clashes: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(300):
            grant = counter.try_reserve(Request(1, 0, 1))
            if grant is None:
                continue
            with lock:
                clashes.extend(held & set(grant.gpu_ids))
                held.update(grant.gpu_ids)
            with lock:
                held.difference_update(grant.gpu_ids)
            counter.release(grant)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert clashes == []
    assert counter.free() == Request(64, 0, 4)


def test_indices_round_trip_through_their_stored_text() -> None:
    assert format_ids((0, 1, 3)) == "0,1,3"
    assert parse_ids("0,1,3") == (0, 1, 3)
    assert format_ids(()) is None
    assert parse_ids(None) == ()
    assert parse_ids("") == ()
