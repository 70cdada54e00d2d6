"""`runner demo`: a small real workload, queued in a fresh home and waited for."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from runner.client import Client
from runner.config import HOME_ENV, prepare_home
from runner.display import table
from runner.spec import JobSpec

_SWEEP = (
    "import random, sys\n"
    "n = int(sys.argv[1])\n"
    "rng = random.Random(n)\n"
    "inside = sum(rng.random() ** 2 + rng.random() ** 2 <= 1 for _ in range(n))\n"
    "print(f'samples={n} pi~{4 * inside / n:.5f}')\n"
)


def workload(cpus: int) -> list[JobSpec]:
    """A parameter sweep with mixed CPU counts, and three jobs that end badly."""
    cwd = os.getcwd()
    env = dict(os.environ)
    jobs = [
        JobSpec(
            argv=[sys.executable, "-c", _SWEEP, str(samples)],
            cwd=cwd,
            env=env,
            name=f"pi-{samples}",
            cpus=min(1 + index % 2, cpus),
        )
        for index, samples in enumerate(
            (20_000, 50_000, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000)
        )
    ]
    jobs += [
        JobSpec(["/bin/sh", "-c", "echo preparing; exit 3"], cwd, env, "exits-3"),
        JobSpec(["/bin/sh", "-c", "kill -KILL $$"], cwd, env, "killed"),
        JobSpec(["sleep", "30"], cwd, env, "too-slow", time_limit=2),
        JobSpec(["/bin/sh", "-c", "echo to stderr >&2"], cwd, env, "stderr"),
        JobSpec(["printf", "%s\\n", "a b", "it's", "$HOME"], cwd, env, "quoting"),
        JobSpec(["/bin/sh", "-c", "sleep 1; echo done"], cwd, env, "sleeper"),
    ]
    return jobs


def run_demo() -> int:
    """Queue the workload in a new home, wait for it, print the final table."""
    home = Path(tempfile.mkdtemp(prefix="runner-demo-"))
    os.environ[HOME_ENV] = str(home)
    os.environ.setdefault("RUNNER_GRACE", "2")
    client = Client(prepare_home(home))
    cpus = client.request("ping")["cpus"]
    print(f"runner demo: a fresh home in {home}, {cpus} CPUs")
    ids = [client.request("add", spec=job.to_dict())["id"] for job in workload(cpus)]
    print(f"Queued {len(ids)} jobs; waiting for them to end...")
    while not client.request("wait", ids=ids)["done"]:
        pass
    print(table(client.request("show", ids=ids)["jobs"]))
    client.request("stop")
    print(f"\nLogs are in {home / 'logs'}; try: RUNNER_HOME={home} runner")
    return 0
