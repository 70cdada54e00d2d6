"""Where runner keeps its files, and the settings a host runs with.

Imported by the client on its fast path: standard library only at module level.
"""

from __future__ import annotations

import os
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
    values = _read_config(config_path(paths))
    total = cpus or _env_int(CPUS_ENV) or values.get("cpus") or machine_cpus()
    grace = _env_float(GRACE_ENV)
    if grace is None:
        grace = float(values.get("grace", DEFAULT_GRACE))
    if total < 1:
        raise ConfigError(f"cpus must be at least 1, not {total}")
    if grace < 0:
        raise ConfigError(f"grace must not be negative, not {grace}")
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
    )


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


_KEYS: dict[str, tuple[type, ...]] = {
    "cpus": (int,),
    "grace": (int, float),
    "memory": (int,),
    "gpus": (list,),
    "pin_cpus": (bool,),
    "empty_cuda_visible_devices": (bool,),
    "hooks": (dict,),
}


def _read_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    import tomllib

    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    for key, value in data.items():
        kinds = _KEYS.get(key)
        if kinds is None:
            raise ConfigError(f"{path}: unknown key '{key}'")
        if not isinstance(value, kinds) or (
            bool not in kinds and isinstance(value, bool)
        ):
            raise ConfigError(f"{path}: key '{key}' has the wrong type")
    _check_hooks(path, data.get("hooks", {}))
    if "gpus" in data and not all(isinstance(i, int) for i in data["gpus"]):
        raise ConfigError(f"{path}: key 'gpus' must be a list of GPU indices")
    return data


def _check_hooks(path: Path, hooks: dict[str, Any]) -> None:
    for key, value in hooks.items():
        if key == "on_finish":
            if not isinstance(value, list) or not all(
                isinstance(a, str) for a in value
            ):
                raise ConfigError(
                    f"{path}: key 'hooks.on_finish' must be an argv list of strings"
                )
        elif key == "timeout":
            if not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"{path}: key 'hooks.timeout' must be positive")
        else:
            raise ConfigError(f"{path}: unknown key 'hooks.{key}'")


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
