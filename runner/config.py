"""Where runner keeps its files, and the settings a host runs with.

Imported by the client on its fast path: standard library only at module level.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "RUNNER_HOME"
CPUS_ENV = "RUNNER_TOTAL_CPUS"
GRACE_ENV = "RUNNER_GRACE"
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
    """What a host hands out and how it stops jobs."""

    cpus: int
    grace: float = DEFAULT_GRACE
    idle_timeout: float | None = None


def home_dir() -> Path:
    """The runner home: `$RUNNER_HOME`, else the user data directory."""
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    import platformdirs

    return Path(platformdirs.user_data_dir("runner", appauthor=False))


def prepare_home(home: Path) -> Paths:
    """Create the home and its folders with mode 0700, refusing unsafe ones."""
    old_umask = os.umask(0o077)
    try:
        for folder in (home, home / "logs", home / "runs"):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            _check_private(folder)
    finally:
        os.umask(old_umask)
    return Paths(home)


def _check_private(folder: Path) -> None:
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{folder} is not a directory")
    if info.st_uid != os.getuid():
        raise ConfigError(f"{folder} is owned by another user")
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
    file_values = _read_config(paths.config)
    total = cpus or _env_int(CPUS_ENV) or file_values.get("cpus") or machine_cpus()
    grace = _env_float(GRACE_ENV)
    if grace is None:
        grace = float(file_values.get("grace", DEFAULT_GRACE))
    if total < 1:
        raise ConfigError(f"cpus must be at least 1, not {total}")
    if grace < 0:
        raise ConfigError(f"grace must not be negative, not {grace}")
    return Settings(cpus=int(total), grace=grace)


def _read_config(path: Path) -> dict[str, int | float]:
    if not path.exists():
        return {}
    import tomllib

    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    values: dict[str, int | float] = {}
    for key, kind in (("cpus", int), ("grace", (int, float))):
        if key in data:
            if not isinstance(data[key], kind) or isinstance(data[key], bool):
                raise ConfigError(f"{path}: key '{key}' must be a number")
            values[key] = data[key]
    return values


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
