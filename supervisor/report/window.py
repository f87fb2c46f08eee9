"""The command's window: ``--since`` and ``--until`` as moments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# ---------------------------------------------------------------- the command


def parse_moment(text: str, now: datetime) -> datetime:
    """``2026-11-30``, ``2026-11-30T08:00`` (UTC unless an offset is given), ``today``,
    ``now``, or a time ago: ``90m``, ``24h``, ``7d``."""
    value = text.strip().lower()
    if value == "now":
        return now
    if value == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if value[-1:] in units and value[:-1].replace(".", "", 1).isdigit():
        return now - timedelta(**{units[value[-1]]: float(value[:-1])})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (ISO date or time, 'today', 'now', or 90m / 24h / 7d ago)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
