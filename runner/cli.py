"""The one entry point: `runner` opens the TUI; `runner VERB` does one thing.

The verbs are clients of the host. This module imports neither SQLAlchemy nor
Textual at module level, so `runner add` starts in a few tens of milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from runner.client import Client, ClientError
from runner.config import ConfigError, Paths, home_dir, prepare_home
from runner.spec import (
    JobSpec,
    SpecError,
    check,
    parse_log_limit,
    parse_time_limit,
    shell_argv,
    wire_string,
)

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input on the command line: exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(flag: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number; give one of at least 1"
            ) from None
        if value < 1:
            raise argparse.ArgumentTypeError(
                f"{value} is too small; give a whole number of at least 1"
            )
        return value

    parse.__name__ = flag
    return parse


def _job_id(text: str) -> str:
    """A job id: N, or N_T for task T of array N."""
    array, _, task = text.partition("_")
    if not array.isdigit() or int(array) < 1 or (task and not task.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a job id (N or N_T)")
    return text


def _priority(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number; higher starts first"
        ) from None


def _count(flag: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number"
            ) from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{value} must not be negative")
        return value

    parse.__name__ = flag
    return parse


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The parser of every verb; with verb, of that one alone, which is all a
    command line naming it needs and spares each call building the others."""
    parser = _Parser(
        prog="runner",
        description="A batch job runner for one machine. With no verb, opens the "
        "terminal app: the queue, live.",
    )
    verbs = parser.add_subparsers(dest="verb", parser_class=_Parser)
    for name, add_verb in _VERB_PARSERS.items():
        if verb is None or verb == name:
            add_verb(verbs)
    return parser


Verbs = Any
"""The subparsers action that each verb's parser is added to."""


def _add_parser(verbs: Verbs) -> None:
    add = verbs.add_parser("add", help="queue a command")
    add.add_argument("-c", "--cpus", type=_positive_int("cpus"), default=1)
    add.add_argument("-J", "--job-name", dest="name")
    add.add_argument("-D", "--chdir", dest="cwd")
    add.add_argument("-t", "--time", dest="time_limit")
    add.add_argument("--priority", type=_priority, default=0)
    add.add_argument("--log-limit", help="cap each log at SIZE[K|M|G]; none for no cap")
    add.add_argument("--mem", help="memory to reserve: SIZE[K|M|G|T], default MiB")
    add.add_argument("-G", "--gpus", type=_count("gpus"), default=None)
    add.add_argument("--gres", help="gpu:N, as sbatch spells it")
    add.add_argument("-d", "--dependency", help="afterok:ID[:ID],afterany:ID...")
    add.add_argument(
        "--after", type=_positive_int("after"), action="append", default=[]
    )
    add.add_argument("-a", "--array", help="task ids: 1-10, 0-15:4, 1,3,7; %%N")
    add.add_argument("--hold", action="store_true", help="queue it held")
    add.add_argument("--begin", help="now+10min, HH:MM or an ISO date-time")
    add.add_argument("--retries", type=_count("retries"), default=0)
    add.add_argument("-o", "--output", help="stdout path; %%A %%a %%j %%x expand")
    add.add_argument("-e", "--error", help="stderr path; %%A %%a %%j %%x expand")
    add.add_argument("--parsable", action="store_true", help="print only the id")
    add.add_argument("command", nargs=argparse.REMAINDER)


def _status_parser(verbs: Verbs) -> None:
    status = verbs.add_parser("status", aliases=["ls"], help="list the jobs")
    status.add_argument("ids", nargs="*", type=_job_id)
    status.add_argument("--state", action="append", default=[])
    status.add_argument("--json", action="store_true")


def _show_parser(verbs: Verbs) -> None:
    show = verbs.add_parser("show", help="every field of one job")
    show.add_argument("ids", nargs="+", type=_job_id)
    show.add_argument("--json", action="store_true")


def _log_parser(verbs: Verbs) -> None:
    log = verbs.add_parser("log", help="print a job's output")
    log.add_argument("id", type=_job_id)
    log.add_argument("--stderr", action="store_true")
    log.add_argument("-f", "--follow", action="store_true")


def _ids_parser(verb: str, text: str) -> Callable[[Verbs], None]:
    def add_verb(verbs: Verbs) -> None:
        verbs.add_parser(verb, help=text).add_argument("ids", nargs="+", type=_job_id)

    return add_verb


def _serve_parser(verbs: Verbs) -> None:
    serve = verbs.add_parser("serve", help="run the host in the foreground")
    serve.add_argument("--cpus", type=_positive_int("cpus"))
    serve.add_argument("--grace", type=float)
    serve.add_argument("--idle-timeout", type=float)
    serve.add_argument("--stop", action="store_true", help="stop the running host")
    serve.add_argument(
        "--quiet-if-running", action="store_true", help=argparse.SUPPRESS
    )


_CHANGES = {
    "hold": "keep pending jobs from starting",
    "release": "let held jobs start",
    "top": "move pending jobs to the front of the queue",
    "retry": "run failed, cancelled or timed-out jobs again",
    "pause": "stop running jobs' processes (SIGSTOP)",
    "resume": "continue paused jobs (SIGCONT)",
}

_VERB_PARSERS: dict[str, Callable[[Verbs], None]] = {
    "add": _add_parser,
    "status": _status_parser,
    "show": _show_parser,
    "log": _log_parser,
    "cancel": _ids_parser("cancel", "cancel jobs"),
    "wait": _ids_parser("wait", "wait for jobs to end"),
    **{verb: _ids_parser(verb, text) for verb, text in _CHANGES.items()},
    "limits": lambda verbs: verbs.add_parser(
        "limits", help="what the host hands out, and its settings"
    ),
    "serve": _serve_parser,
    "demo": lambda verbs: verbs.add_parser(
        "demo", help="run a small real workload in a fresh home"
    ),
}
"""Each verb's parser, in the order `runner --help` lists them."""

_ALIASES = {"ls": "status"}


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(args_list)
    except UsageError as error:
        _say(str(error))
        return EXIT_USAGE
    except SpecError as error:
        _say(f"runner: {error}")
        return EXIT_USAGE
    except ClientError as error:
        _say(f"runner: {error}")
        return EXIT_USAGE if error.kind == "usage" else EXIT_RUNTIME
    except ConfigError as error:
        _say(f"runner: {error}")
        return EXIT_RUNTIME
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _say(message: str) -> None:
    print(message.replace("\n", " "), file=sys.stderr)


def _run(args_list: list[str]) -> int:
    command: list[str] | None = None
    if args_list[:1] == ["add"] and "--" in args_list:
        split = args_list.index("--")
        args_list, command = args_list[:split], args_list[split + 1 :]
    named = _ALIASES.get(args_list[0], args_list[0]) if args_list else None
    verb = named if named in _VERB_PARSERS else None
    args = build_parser(verb).parse_args(args_list)
    if args.verb is None:
        from runner.tui.app import run

        return run(_paths())
    handler = _HANDLERS[args.verb]
    return handler(args, command) if args.verb == "add" else handler(args)


def _paths() -> Paths:
    return prepare_home(home_dir())


def _client() -> Client:
    return Client(_paths())


def cmd_add(args: argparse.Namespace, command: list[str] | None) -> int:
    if command is None:
        command = (
            shell_argv(args.command[0]) if len(args.command) == 1 else args.command
        )
    spec = JobSpec(
        argv=[wire_string(arg) for arg in command],
        cwd=_working_directory(args.cwd),
        env={wire_string(k): wire_string(v) for k, v in os.environ.items()},
        name=args.name,
        cpus=args.cpus,
        time_limit=parse_time_limit(args.time_limit) if args.time_limit else None,
        priority=args.priority,
        hold=args.hold,
        retries=args.retries,
        output=args.output,
        error=args.error,
        log_limit=parse_log_limit(args.log_limit) if args.log_limit else None,
    )
    check(spec)
    _scheduling_options(spec, args)
    answer = _client().request("add", spec=spec.to_dict())
    print(_submitted(answer, args.parsable))
    return EXIT_OK


def _working_directory(given: str | None) -> str:
    """The job's directory: -D made absolute, else this process's."""
    try:
        return wire_string(os.path.abspath(given) if given else os.getcwd())
    except FileNotFoundError:
        raise SpecError(
            "working directory: the current directory no longer exists; give -D"
        ) from None


def _scheduling_options(spec: JobSpec, args: argparse.Namespace) -> None:
    """Parse the options that need more than argparse, into spec."""
    from runner import arrays, dependency
    from runner.timespec import parse_begin, parse_size

    if args.mem:
        spec.mem = parse_size(args.mem)
    spec.gpus = _gpus(args.gpus, args.gres)
    terms = [args.dependency] if args.dependency else []
    terms += [f"afterok:{job_id}" for job_id in args.after]
    if terms:
        spec.dependency = str(dependency.parse(",".join(terms)))
    if args.array:
        arrays.parse(args.array)
        spec.array = args.array
    if args.begin:
        spec.begin = parse_begin(args.begin).isoformat()


def _gpus(count: int | None, gres: str | None) -> int:
    if gres is None:
        return count or 0
    kind, _, number = gres.partition(":")
    if kind != "gpu" or not number.isdigit():
        raise SpecError(f"--gres: {gres!r} is not gpu:N")
    if count is not None and count != int(number):
        raise SpecError("-G/--gpus and --gres disagree")
    return int(number)


def _submitted(answer: dict[str, Any], parsable: bool) -> str:
    job_id, count = answer["id"], answer.get("count", 1)
    if parsable:
        return str(job_id)
    if count == 1:
        return f"Submitted job {job_id}"
    first, last = answer["ids"]
    return f"Submitted job array {job_id} ({count} tasks, jobs {first}-{last})"


def cmd_change(args: argparse.Namespace) -> int:
    answer = _client().request(args.verb, ids=args.ids)
    changed = set(answer["changed"])
    status = EXIT_OK
    for job in answer["jobs"]:
        if job["id"] in changed:
            print(f"Job {job['id']}: {args.verb} done ({job['state']})")
        else:
            print(f"Job {job['id']}: cannot {args.verb} a {job['state']} job")
            status = EXIT_RUNTIME
    return status


def cmd_limits(args: argparse.Namespace) -> int:
    limits = _client().request("limits")
    for key, value in limits.items():
        print(f"{key:>27}: {value}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from runner.display import table

    answer = _client().request("list", states=args.state, ids=args.ids or None)
    if args.json:
        print(json.dumps(answer["jobs"], indent=2))
        return EXIT_OK
    width = os.get_terminal_size().columns if sys.stdout.isatty() else None
    print(table(answer["jobs"], width))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from runner.display import details

    jobs = _client().request("show", ids=args.ids)["jobs"]
    if args.json:
        shown: Any = jobs[0] if len(jobs) == 1 else jobs
        print(json.dumps(shown, indent=2))
        return EXIT_OK
    print("\n\n".join(details(job) for job in jobs))
    return EXIT_OK


def cmd_log(args: argparse.Namespace) -> int:
    from runner.logview import print_log

    client = _client()
    job = client.request("show", ids=[args.id])["jobs"][0]
    path = job["stderr_path" if args.stderr else "stdout_path"]
    return print_log(client, job["id"], path, args.follow)


def cmd_cancel(args: argparse.Namespace) -> int:
    jobs = _client().request("cancel", ids=args.ids)["jobs"]
    for job in jobs:
        print(f"Job {job['id']}: {job['state']}")
    return EXIT_OK


def cmd_wait(args: argparse.Namespace) -> int:
    client = _client()
    while True:
        answer = client.request("wait", ids=args.ids)
        if answer["done"]:
            return wait_status(answer["jobs"])


def wait_status(jobs: list[dict[str, Any]]) -> int:
    """0 if every job COMPLETED; else the first failure's code, 128+signal."""
    for job in jobs:
        if job["state"] == "COMPLETED":
            continue
        code, _, sig = (job["exit_code"] or "-1:0").partition(":")
        if int(sig or 0):
            return 128 + int(sig)
        return int(code) if int(code) > 0 else EXIT_RUNTIME
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from runner.serve import serve, stop

    paths = _paths()
    if args.stop:
        return stop(paths)
    return serve(paths, args.cpus, args.grace, args.idle_timeout, args.quiet_if_running)


def cmd_demo(args: argparse.Namespace) -> int:
    from runner.demo import run_demo

    return run_demo()


_HANDLERS: dict[str, Callable[..., int]] = {
    "add": cmd_add,
    "status": cmd_status,
    "ls": cmd_status,
    "show": cmd_show,
    "log": cmd_log,
    "cancel": cmd_cancel,
    "wait": cmd_wait,
    "serve": cmd_serve,
    "demo": cmd_demo,
    "limits": cmd_limits,
    **dict.fromkeys(_CHANGES, cmd_change),
}
