"""The benchmark script runs end to end; how fast is its own business."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SMOKE_DEADLINE = 300


def test_quick_benchmark_run_writes_every_figure_and_target(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"

    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=SMOKE_DEADLINE,
    )

    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "## Targets" in done.stdout
    for heading in (
        "## Targets",
        "### Submission latency",
        "`true` jobs on 2 CPUs",
        "`sleep 0.05` jobs on 2 CPUs",
        "### With a long history and a long queue",
        "### Resident memory at rest",
    ):
        assert heading in text
    assert "runner add (one CLI call)" in text
    assert "n/a" not in _row(text, "runner, one request per job from one Python")
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "benchmarks.png").stat().st_size > 0
    else:
        assert "No plot" in text


def _row(text: str, label: str) -> str:
    """The first table row whose contender starts with label."""
    for line in text.splitlines():
        if line.startswith(f"| **{label}") or line.startswith(f"| {label}"):
            return line
    raise AssertionError(f"no row for {label!r}")
