"""Where runner keeps its files, and the settings a host runs with.

Imported by the client on its fast path: standard library only at module level.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOME_ENV = "RUNNER_HOME"
CPUS_ENV = "RUNNER_TOTAL_CPUS"
GRACE_ENV = "RUNNER_GRACE"
GPUS_ENV = "RUNNER_GPUS"
DEFAULT_GRACE = 10.0
DEFAULT_IDLE_TIMEOUT = 60.0


class ConfigError(Exception):
    """A setting, file or directory that runner cannot use; the message says why."""


@dataclass(frozen=True)
class Paths:
    """Every file a runner home holds."""

    home: Path

    @property
    def database(self) -> Path:
        return self.home / "runner.db"

    @property
    def socket(self) -> Path:
        return self.home / "runner.sock"

    @property
    def lock(self) -> Path:
        return self.home / "host.lock"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def runs(self) -> Path:
        """Where keepers record each run's process and exit status."""
        return self.home / "runs"

    @property
    def host_log(self) -> Path:
        return self.home / "host.log"

    @property
    def config(self) -> Path:
        return self.home / "config.toml"


@dataclass(frozen=True)
class Settings:
    """What a host hands out, how it stops jobs, and what it runs after them."""

    cpus: int
    grace: float = DEFAULT_GRACE
    mem: int | None = None
    """MiB of memory to hand out; None for the machine's."""
    gpus: tuple[int, ...] = ()
    pin_cpus: bool = True
    empty_cuda: bool = True
    """Give jobs that asked for no GPU an empty CUDA_VISIBLE_DEVICES."""
    on_finish: tuple[str, ...] = ()
    """An argv run after each job ends; empty for none."""
    hook_timeout: float = 30.0
    idle_timeout: float | None = None
    log_limit: int | None = None
    """Bytes each job log may hold when the job asks for no limit; None: no cap."""


def home_dir() -> Path:
    """The runner home: `$RUNNER_HOME`, else the user data directory."""
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    import platformdirs

    return Path(platformdirs.user_data_dir("runner", appauthor=False))


def prepare_home(home: Path) -> Paths:
    """Create the home and its folders with mode 0700, refusing unsafe ones.

    A home owned by another user, or one that others may write to, is
    refused: whoever can write there can plant files runner would trust. One
    others may only read is made private. The home itself may be a symlink
    to a directory; the folders in it may not.
    """
    old_umask = os.umask(0o077)
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        _check_private(home, os.stat(home))
        for folder in (home / "logs", home / "runs"):
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=0o700)
            _check_private(folder, os.lstat(folder))
    except OSError as error:
        raise ConfigError(f"runner home {home}: {error.strerror}") from None
    finally:
        os.umask(old_umask)
    return Paths(home)


def _check_private(folder: Path, info: os.stat_result) -> None:
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{folder} is not a directory")
    if info.st_uid != os.getuid():
        raise ConfigError(
            f"{folder} is owned by uid {info.st_uid}, not by you (uid "
            f"{os.getuid()}); runner uses only a home of your own"
        )
    if info.st_mode & 0o022:
        raise ConfigError(
            f"{folder} may be written by other users (mode "
            f"{stat.S_IMODE(info.st_mode):04o}); run chmod 700 on it"
        )
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)


def machine_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_settings(paths: Paths, cpus: int | None = None) -> Settings:
    """Settings from the flags, then the environment, then config.toml."""
    values = _read_config(config_path(paths))
    total = cpus or _env_int(CPUS_ENV) or values.get("cpus") or machine_cpus()
    grace = _env_float(GRACE_ENV)
    if grace is None:
        grace = float(values.get("grace", DEFAULT_GRACE))
    if total < 1:
        raise ConfigError(f"{CPUS_ENV} must be at least 1, not {total}")
    if grace < 0:
        raise ConfigError(f"{GRACE_ENV} must not be negative, not {grace}")
    hooks = values.get("hooks", {})
    return Settings(
        cpus=int(total),
        grace=grace,
        mem=values.get("memory") or machine_memory(),
        gpus=_gpus(values),
        pin_cpus=bool(values.get("pin_cpus", True)),
        empty_cuda=bool(values.get("empty_cuda_visible_devices", True)),
        on_finish=tuple(hooks.get("on_finish", ())),
        hook_timeout=float(hooks.get("timeout", 30.0)),
        log_limit=values.get("log_limit") or None,
    )


def check_config(paths: Paths) -> None:
    """Raise ConfigError if config.toml, when there is one, cannot be used."""
    _read_config(config_path(paths))


def config_path(paths: Paths) -> Path:
    """config.toml in the home when RUNNER_HOME is set, else the config dir."""
    if os.environ.get(HOME_ENV):
        return paths.config
    import platformdirs

    return Path(platformdirs.user_config_dir("runner", appauthor=False)) / (
        "config.toml"
    )


def machine_memory() -> int:
    """The machine's memory in MiB."""
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (1 << 20)


def _gpus(values: dict[str, Any]) -> tuple[int, ...]:
    listed = os.environ.get(GPUS_ENV)
    if listed is not None:
        try:
            return tuple(int(part) for part in listed.split(",") if part.strip())
        except ValueError:
            raise ConfigError(f"{GPUS_ENV} must be indices like 0,1") from None
    if "gpus" in values:
        return tuple(values["gpus"])
    return _nvidia_gpus()


def _nvidia_gpus() -> tuple[int, ...]:
    import shutil
    import subprocess

    if shutil.which("nvidia-smi") is None:
        return ()
    try:
        listing = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(
        int(line.split()[1].rstrip(":"))
        for line in listing.splitlines()
        if line.startswith("GPU ")
    )


_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "cpus": ((int,), "a whole number of CPUs, at least 1"),
    "grace": ((int, float), "a number of seconds, 0 or more"),
    "memory": ((int,), "a whole number of MiB, at least 1"),
    "gpus": ((list,), "a list of GPU indices such as [0, 1]"),
    "pin_cpus": ((bool,), "true or false"),
    "empty_cuda_visible_devices": ((bool,), "true or false"),
    "hooks": ((dict,), "a [hooks] table"),
    "log_limit": ((int, str), 'a size such as "10M", a number of bytes, or "none"'),
}
_LEAST = {"cpus": 1, "grace": 0, "memory": 1}


def _read_config(path: Path) -> dict[str, Any]:
    """The settings in config.toml; every error names the file, line and key."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise ConfigError(f"{path}, line {line}: not valid UTF-8") from None
    except OSError as error:
        raise ConfigError(f"{path}: {error.strerror}") from None
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(path, text, error) from None
    for key, value in data.items():
        data[key] = _checked(path, text, key, value)
    _check_hooks(path, text, data.get("hooks", {}))
    return data


def _checked(path: Path, text: str, key: str, value: Any) -> Any:
    """The value of one top-level key, checked against what it accepts."""
    if key not in _KEYS:
        known = ", ".join(_KEYS)
        raise _key_error(path, text, key, f"is not a setting (known: {known})")
    kinds, accepts = _KEYS[key]
    wrong_type = not isinstance(value, kinds) or (
        bool not in kinds and isinstance(value, bool)
    )
    too_small = not wrong_type and key in _LEAST and value < _LEAST[key]
    bad_gpus = (
        key == "gpus"
        and not wrong_type
        and not all(
            isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in value
        )
    )
    if wrong_type or too_small or bad_gpus:
        raise _key_error(path, text, key, f"must be {accepts}, not {value!r}")
    if key == "log_limit":
        return _log_limit(path, text, value, accepts)
    return value


def _log_limit(path: Path, text: str, value: int | str, accepts: str) -> int:
    from runner.spec import SpecError, parse_log_limit

    if isinstance(value, int):
        if value < 0:
            raise _key_error(path, text, "log_limit", f"must be {accepts}")
        return value
    try:
        return parse_log_limit(value, "log_limit")
    except SpecError:
        raise _key_error(
            path, text, "log_limit", f"must be {accepts}, not {value!r}"
        ) from None


def _check_hooks(path: Path, text: str, hooks: dict[str, Any]) -> None:
    for key, value in hooks.items():
        name = f"hooks.{key}"
        if key == "on_finish":
            if not isinstance(value, list) or not all(
                isinstance(a, str) for a in value
            ):
                raise _key_error(path, text, name, "must be an argv list of strings")
        elif key == "timeout":
            if not isinstance(value, int | float) or value <= 0:
                raise _key_error(path, text, name, "must be a positive number")
        else:
            raise _key_error(path, text, name, "is not a setting")


def _key_error(path: Path, text: str, key: str, problem: str) -> ConfigError:
    line = _line_of(text, key)
    where = f"{path}, line {line}" if line else str(path)
    return ConfigError(f"{where}: key '{key}' {problem}")


def _line_of(text: str, key: str) -> int | None:
    """The line that sets key (its last part, in its table), or None."""
    *tables, name = key.split(".")
    table = ".".join(tables)
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[] ")
            continue
        found = re.match(r"""^["']?([A-Za-z0-9_-]+)["']?\s*=""", stripped)
        if found and found[1] == name and current == table:
            return number
    return None


def _syntax_error(path: Path, text: str, error: Exception) -> ConfigError:
    message = str(error)
    reason = re.sub(r"\s*\(at [^)]*\)$", "", message)
    position = re.search(r"at line (\d+), column (\d+)", message)
    if position is None:
        return ConfigError(f"{path}: {reason}")
    line = int(position[1])
    lines = text.splitlines()
    found = re.match(
        r"""^\s*["']?([A-Za-z0-9_.-]+)["']?\s*=""",
        lines[line - 1] if line <= len(lines) else "",
    )
    key = f", key '{found[1]}'" if found else ""
    return ConfigError(f"{path}, line {line}{key}: {reason}")


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None


def _env_float(name: str) -> float | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
