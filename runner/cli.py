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
from runner.spec import JobSpec, SpecError, check_argv, parse_time_limit, shell_argv

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
                f"{text!r} is not a whole number"
            ) from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{value} must be at least 1")
        return value

    parse.__name__ = flag
    return parse


def _job_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a job id") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a job id")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="runner", description="A batch job runner for one machine.")
    verbs = parser.add_subparsers(dest="verb", parser_class=_Parser)

    add = verbs.add_parser("add", help="queue a command")
    add.add_argument("-c", "--cpus", type=_positive_int("cpus"), default=1)
    add.add_argument("-J", "--job-name", dest="name")
    add.add_argument("-D", "--chdir", dest="cwd")
    add.add_argument("-t", "--time", dest="time_limit")
    add.add_argument("--priority", type=int, default=0)
    add.add_argument("--parsable", action="store_true", help="print only the id")
    add.add_argument("command", nargs=argparse.REMAINDER)

    for name, aliases in (("status", ["ls"]),):
        status = verbs.add_parser(name, aliases=aliases, help="list the jobs")
        status.add_argument("--state", action="append", default=[])
        status.add_argument("--json", action="store_true")

    show = verbs.add_parser("show", help="every field of one job")
    show.add_argument("ids", nargs="+", type=_job_id)
    show.add_argument("--json", action="store_true")

    log = verbs.add_parser("log", help="print a job's output")
    log.add_argument("id", type=_job_id)
    log.add_argument("--stderr", action="store_true")
    log.add_argument("-f", "--follow", action="store_true")

    cancel = verbs.add_parser("cancel", help="cancel jobs")
    cancel.add_argument("ids", nargs="+", type=_job_id)

    wait = verbs.add_parser("wait", help="wait for jobs to end")
    wait.add_argument("ids", nargs="+", type=_job_id)

    serve = verbs.add_parser("serve", help="run the host in the foreground")
    serve.add_argument("--cpus", type=_positive_int("cpus"))
    serve.add_argument("--grace", type=float)
    serve.add_argument("--idle-timeout", type=float)
    serve.add_argument("--stop", action="store_true", help="stop the running host")
    serve.add_argument(
        "--quiet-if-running", action="store_true", help=argparse.SUPPRESS
    )

    verbs.add_parser("demo", help="run a small real workload in a fresh home")
    return parser


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
    args = build_parser().parse_args(args_list)
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
    check_argv(command)
    spec = JobSpec(
        argv=command,
        cwd=os.path.abspath(args.cwd) if args.cwd else os.getcwd(),
        env=dict(os.environ),
        name=args.name,
        cpus=args.cpus,
        time_limit=parse_time_limit(args.time_limit) if args.time_limit else None,
        priority=args.priority,
    )
    if not os.path.isdir(spec.cwd):
        raise SpecError(f"-D/--chdir: {spec.cwd!r} is not a directory")
    job_id = _client().request("add", spec=spec.to_dict())["id"]
    print(job_id if args.parsable else f"Submitted job {job_id}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from runner.display import table

    answer = _client().request("list", states=args.state)
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
}
