"""Where the host spends its time on a stream of short jobs.

    python bench/profile.py                  # 500 `true` jobs, one request each
    python bench/profile.py -n 200 sleep 0.05
    python bench/profile.py --cli -n 100     # one `runner add` process per job

Runs the jobs on a fresh host, samples it with py-spy (only while it holds the
GIL, so only Python at work counts), and prints the host's CPU time per job
and the functions that took the most samples. Without py-spy it prints the
CPU times alone.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from bench.homes import RunnerHome
from bench.memory import launcher_pid

RATE = 250
"""py-spy samples per second."""
_LINE = re.compile(r":\d+\)$")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    command = args.command or ["true"]
    with RunnerHome(args.cpus) as home, tempfile.TemporaryDirectory() as folder:
        home.start()
        assert home.host_pid is not None
        raw = Path(folder) / "host.txt"
        spy = _start_spy(home.host_pid, raw)
        host = psutil.Process(home.host_pid)
        launcher = psutil.Process(launcher_pid(home.host_pid) or home.host_pid)
        before = host.cpu_times(), launcher.cpu_times()

        began = time.perf_counter()
        add = home.add_cli if args.cli else home.add_request
        ids = [add(command) for _ in range(args.jobs)]
        submitted = time.perf_counter() - began
        home.wait(ids)
        elapsed = time.perf_counter() - began

        after = host.cpu_times(), launcher.cpu_times()
        _stop_spy(spy)
        print(
            f"{args.jobs} x {' '.join(command)}: submitted in {submitted:.2f} s, "
            f"all ended after {elapsed:.2f} s"
        )
        for name, old, new in zip(("host", "launcher"), before, after, strict=True):
            user, system = new.user - old.user, new.system - old.system
            per_job = (user + system) / args.jobs * 1000
            print(f"  {name} CPU: {user:.2f} s user + {system:.2f} s system")
            print(f"    = {per_job:.2f} ms per job")
        if spy is not None and raw.exists():
            _summarise(raw, args.top)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--jobs", type=int, default=500)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--cli", action="store_true", help="one `runner add` each")
    parser.add_argument("--top", type=int, default=30, help="functions to show")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    return parser.parse_args(argv)


def _start_spy(pid: int, raw: Path) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy")
    if spy is None:
        print("py-spy is not installed: CPU times only", file=sys.stderr)
        return None
    argv = [spy, "record", "-p", str(pid), "-r", str(RATE), "--gil"]
    process = subprocess.Popen(
        [*argv, "-f", "raw", "-o", str(raw)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # py-spy attaches asynchronously
    return process


def _stop_spy(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is None:
        return
    spy.send_signal(signal.SIGINT)
    try:
        spy.wait(timeout=30)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait()


def _summarise(raw: Path, top: int) -> None:
    """Inclusive shares of runner's own functions, and self shares of all."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_LINE.sub(")", frame) for frame in stack.split(";")]
        total += int(count)
        for frame in set(frames):
            if "runner/" in frame:
                inclusive[frame] += int(count)
        own[frames[-1]] += int(count)
    if not total:
        print("no samples")
        return
    seconds = total / RATE
    print(f"\n{total} samples holding the GIL ({seconds:.1f} s of Python)")
    print("\nrunner's functions, inclusive:")
    for frame, count in inclusive.most_common(top):
        print(f"  {100 * count / total:5.1f}%  {frame}")
    print("\nself time, any code:")
    for frame, count in own.most_common(top // 2):
        print(f"  {100 * count / total:5.1f}%  {frame}")


if __name__ == "__main__":
    sys.exit(main())
