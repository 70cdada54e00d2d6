"""No overcommit: what the jobs themselves recorded of when they ran."""

from __future__ import annotations

from tests.home import RunnerHome
from tests.timeline import intervals, most_at_once, overlap, timed_job


def test_four_one_cpu_jobs_on_two_cpus_run_two_at_a_time(
    shared_home: RunnerHome,
) -> None:
    log = shared_home.path / "pairs-times"
    ids = [shared_home.add("-c", "1", "--", *timed_job(1, log)) for _ in range(4)]

    jobs = shared_home.wait(*ids)

    assert {job["state"] for job in jobs} == {"COMPLETED"}
    spans = intervals(log)
    assert sorted(spans) == ids
    assert most_at_once(spans) == 2


def test_a_two_cpu_job_never_runs_beside_another(shared_home: RunnerHome) -> None:
    log = shared_home.path / "wide-times"
    cpus = ["1", "2", "1", "1", "2", "1"]
    ids = [shared_home.add("-c", c, "--", *timed_job(0.3, log)) for c in cpus]

    shared_home.wait(*ids)

    spans = intervals(log)
    wide = [job_id for job_id, c in zip(ids, cpus, strict=True) if c == "2"]
    for job_id in wide:
        others = [span for other, span in spans.items() if other != job_id]
        assert not any(overlap(spans[job_id], span) for span in others), job_id
    assert most_at_once(spans) <= 2


def test_higher_priority_jobs_start_first(shared_home: RunnerHome) -> None:
    log = shared_home.path / "priority-times"
    blocker = shared_home.add("-c", "2", "--", "sleep", "100")
    shared_home.wait_running(blocker)
    low = shared_home.add("-c", "2", "--", *timed_job(0, log))
    high = shared_home.add("-c", "2", "--priority", "5", "--", *timed_job(0, log))
    same = shared_home.add("-c", "2", "--", *timed_job(0, log))

    shared_home.ok("cancel", str(blocker))
    shared_home.wait(low, high, same)

    spans = intervals(log)
    assert sorted(spans, key=lambda job_id: spans[job_id][0]) == [high, low, same]
