"""No overcommit: what the jobs themselves recorded of when they ran."""

from __future__ import annotations

from tests.home import RunnerHome
from tests.timeline import intervals, most_at_once, overlap, timed_job


def test_four_one_cpu_jobs_on_two_cpus_run_two_at_a_time(home: RunnerHome) -> None:
    log = home.path / "times"
    ids = [home.add("-c", "1", "--", *timed_job(1, log)) for _ in range(4)]

    jobs = home.wait(*ids)

    assert {job["state"] for job in jobs} == {"COMPLETED"}
    spans = intervals(log)
    assert sorted(spans) == ids
    assert most_at_once(spans) == 2


def test_a_two_cpu_job_never_runs_beside_another(home: RunnerHome) -> None:
    log = home.path / "times"
    cpus = ["1", "2", "1", "1", "2", "1"]
    ids = [home.add("-c", c, "--", *timed_job(0.3, log)) for c in cpus]

    home.wait(*ids)

    spans = intervals(log)
    wide = [job_id for job_id, c in zip(ids, cpus, strict=True) if c == "2"]
    for job_id in wide:
        others = [span for other, span in spans.items() if other != job_id]
        assert not any(overlap(spans[job_id], span) for span in others), job_id
    assert most_at_once(spans) <= 2


def test_higher_priority_jobs_start_first(home: RunnerHome) -> None:
    log = home.path / "times"
    blocker = home.add("-c", "2", "--", "sleep", "100")
    home.wait_running(blocker)
    low = home.add("-c", "2", "--", *timed_job(0, log))
    high = home.add("-c", "2", "--priority", "5", "--", *timed_job(0, log))
    same = home.add("-c", "2", "--", *timed_job(0, log))

    home.ok("cancel", str(blocker))
    home.wait(low, high, same)

    spans = intervals(log)
    assert sorted(spans, key=lambda job_id: spans[job_id][0]) == [high, low, same]
