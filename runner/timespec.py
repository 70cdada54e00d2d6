"""Times and sizes as sbatch spells them: `--begin now+10min`, `--mem 4G`.

Standard library only: the client parses here before it talks to the host.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from runner.spec import SpecError

_NOW_PLUS = re.compile(
    r"^now(?:\+(?P<count>\d+)(?P<unit>s|sec|seconds?|m|min|minutes?|h|hours?"
    r"|d|days?|w|weeks?)?)?$"
)
_CLOCK = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<unit>[KMGT]?)B?$", re.IGNORECASE)
_SIZE_MIB = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024, "": 1}


def parse_begin(text: str, now: datetime | None = None) -> datetime:
    """The UTC time a job may start: now+N[unit], HH:MM[:SS] or ISO 8601."""
    local_now = (now or datetime.now(UTC)).astimezone()
    value = text.strip().lower()
    match = _NOW_PLUS.match(value)
    if match:
        count = int(match["count"] or 0)
        unit = (match["unit"] or "s")[0]
        return (local_now + timedelta(seconds=count * _UNIT_SECONDS[unit])).astimezone(
            UTC
        )
    match = _CLOCK.match(value)
    if match:
        return _next_clock(local_now, match)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SpecError(
            f"--begin: {text!r} is not a time (use now+10min, HH:MM or "
            "YYYY-MM-DDTHH:MM:SS)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_now.tzinfo)
    return moment.astimezone(UTC)


def _next_clock(local_now: datetime, match: re.Match[str]) -> datetime:
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise SpecError(f"--begin: {match.group(0)!r} is not a time of day")
    moment = local_now.replace(hour=hour, minute=minute, second=second, microsecond=0)
    if moment <= local_now:
        moment += timedelta(days=1)
    return moment.astimezone(UTC)


def parse_size(text: str, flag: str = "--mem") -> int:
    """MiB from a size with an optional K, M, G or T suffix (default MiB)."""
    match = _SIZE.match(text.strip())
    if not match:
        raise SpecError(f"{flag}: {text!r} is not a size (e.g. 512M, 4G)")
    mib = float(match["number"]) * _SIZE_MIB[match["unit"].upper()]
    if mib <= 0:
        raise SpecError(f"{flag}: {text!r} must be more than zero")
    return max(1, round(mib + 0.4999))
