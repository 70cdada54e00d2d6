"""The resource counter: free = total - held, under any number of threads."""

from __future__ import annotations

import threading

import pytest

from runner.resources import Grant, ResourceCounter, ResourceError


def test_a_new_counter_has_every_cpu_free() -> None:
    counter = ResourceCounter(4)

    assert (counter.total_cpus, counter.used_cpus, counter.free_cpus) == (4, 0, 4)


def test_a_counter_needs_at_least_one_cpu() -> None:
    with pytest.raises(ValueError):
        ResourceCounter(0)


def test_reservations_are_granted_until_the_cpus_run_out() -> None:
    counter = ResourceCounter(4)

    first = counter.try_reserve(3)
    refused = counter.try_reserve(2)
    last = counter.try_reserve(1)

    assert first is not None and first.cpus == 3
    assert refused is None
    assert last is not None
    assert (counter.used_cpus, counter.free_cpus) == (4, 0)


def test_a_refused_reservation_changes_nothing() -> None:
    counter = ResourceCounter(2)
    counter.try_reserve(1)

    assert counter.try_reserve(5) is None

    assert (counter.used_cpus, counter.free_cpus) == (1, 1)


def test_releasing_gives_the_cpus_back() -> None:
    counter = ResourceCounter(2)
    grant = counter.try_reserve(2)
    assert grant is not None

    counter.release(grant)

    assert counter.free_cpus == 2


def test_releasing_more_than_was_reserved_is_a_bug_that_is_reported() -> None:
    counter = ResourceCounter(2)
    counter.try_reserve(1)

    with pytest.raises(ResourceError):
        counter.release(Grant(2))

    assert counter.used_cpus == 1


def test_rebuild_starts_again_from_the_allocations_held() -> None:
    counter = ResourceCounter(8)
    counter.try_reserve(5)

    counter.rebuild([1, 2, Grant(3)])

    assert (counter.used_cpus, counter.free_cpus) == (6, 2)


def test_rebuild_with_more_than_the_total_hands_nothing_out() -> None:
    counter = ResourceCounter(2)

    counter.rebuild([2, 2])

    assert counter.try_reserve(1) is None
    assert counter.free_cpus <= 0


def test_many_threads_never_push_the_counter_past_its_total() -> None:
    counter = ResourceCounter(5)
    overcommitted = threading.Event()
    in_use = [0]
    watch = threading.Lock()
    start = threading.Barrier(16)

    def worker() -> None:
        start.wait()
        for i in range(2000):
            grant = counter.try_reserve(1 + i % 3)
            if grant is None:
                continue
            with watch:
                in_use[0] += grant.cpus
                if in_use[0] > counter.total_cpus:
                    overcommitted.set()
            with watch:
                in_use[0] -= grant.cpus
            counter.release(grant)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not overcommitted.is_set()
    assert (counter.used_cpus, counter.free_cpus) == (0, 5)


def test_used_plus_free_is_always_the_total_while_threads_race() -> None:
    counter = ResourceCounter(3)
    stop = threading.Event()
    broken: list[tuple[int, int]] = []

    def churn() -> None:
        while not stop.is_set():
            grant = counter.try_reserve(1)
            if grant is not None:
                counter.release(grant)

    def observe() -> None:
        for _ in range(5000):
            used, free = counter.used_cpus, counter.free_cpus
            if not 0 <= used <= 3 or not 0 <= free <= 3:
                broken.append((used, free))

    churners = [threading.Thread(target=churn) for _ in range(8)]
    for thread in churners:
        thread.start()
    observe()
    stop.set()
    for thread in churners:
        thread.join()

    assert broken == []
    assert counter.used_cpus == 0
