"""Reading an upload cut-off (``--exclude-newer TIME``, ``--uploaded-prior-to TIME``) as a time.

Only files uploaded *before* the cut-off count (PEP 700 ``upload-time`` of the index's JSON
pages). Accepted forms, shared by both options:

* an RFC 3339 / ISO 8601 timestamp: ``2024-03-01T12:00:00Z``, ``2024-03-01T12:00:00+02:00``,
  ``2024-03-01 12:00``; without an offset the local time zone is meant (as pip reads it);
* a date, ``2024-03-01``, in the local time zone. Here the two options differ, each as the
  tool that named it: uv's ``--exclude-newer 2024-03-01`` keeps that day's uploads (the
  cut-off is the *next* midnight), pip's ``--uploaded-prior-to 2024-03-01`` stops at that
  day's first midnight (pip reads a date as that midnight);
* a duration back from now: ISO 8601 (``P7D``, ``P1W``, ``PT24H``, ``P1DT12H``, as uv; pip
  knows ``P<n>D`` only) or uv's "friendly" form (``7 days``, ``24 hours``, ``1 week 2 days``,
  ``90 min``). As uv, a day is 24 hours and calendar units (months, years) are refused: their
  length depends on the calendar.

Pure functions: ``now`` and the local time zone come from the caller, so tests need no clock.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal

__all__ = ["ACCEPTED_FORMS", "DateMeans", "parse_cutoff", "parse_timestamp"]

ACCEPTED_FORMS = (
    "a timestamp like `2024-03-01T12:00:00Z`, a date like `2024-03-01`, or a duration like "
    "`7 days`, `24 hours` or `P7D`"
)
"""What a cut-off may be, in the words error hints use."""

DateMeans = Literal["end", "start"]
"""Which midnight a bare date names: the one ending that day (uv) or starting it (pip)."""

_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r"\s*(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DURATION = re.compile(
    r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?",
    re.IGNORECASE,
)
_FRIENDLY_PART = re.compile(r"(\d+)\s*([a-z]+)", re.IGNORECASE)
_UNITS = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
    **dict.fromkeys(("d", "day", "days"), timedelta(days=1)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), timedelta(seconds=1)),
}
_CALENDAR = frozenset({"mo", "mos", "month", "months", "y", "yr", "yrs", "year", "years"})


def parse_timestamp(text: str, *, local: tzinfo = timezone.utc) -> datetime:
    """An RFC 3339 / ISO 8601 timestamp as an aware UTC datetime.

    ``2024-05-01T12:00:00.123456Z``, an offset instead of ``Z``, a space for ``T``, seconds
    and fractions optional (any number of digits, as PyPI writes six and others nine). With
    no offset the time is in ``local``. Raises :class:`ValueError` for anything else.
    """
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"`{text}` is not a timestamp")
    day = date.fromisoformat(match["date"])
    micro = int((match["frac"] or "0")[:6].ljust(6, "0"))
    moment = datetime.combine(day, time(int(match["h"]), int(match["m"]), int(match["s"] or 0), micro))
    zone = match["tz"]
    if zone is None:
        return moment.replace(tzinfo=local).astimezone(timezone.utc)
    if zone in ("Z", "z"):
        return moment.replace(tzinfo=timezone.utc)
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=timezone(-offset if zone[0] == "-" else offset)).astimezone(timezone.utc)


def parse_cutoff(text: str, *, now: datetime, local: tzinfo, date_means: DateMeans = "end") -> datetime:
    """The cut-off ``text`` names, as an aware UTC datetime (see the module docstring).

    ``now`` (aware) anchors durations; ``local`` is the time zone of dates and of timestamps
    without an offset. Raises :class:`ValueError` naming what is wrong.
    """
    value = text.strip()
    if not value:
        raise ValueError("the value is empty")
    if _DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"`{value}` is not a real date ({exc})") from None
        if date_means == "end":
            day += timedelta(days=1)
        return datetime.combine(day, time(), tzinfo=local).astimezone(timezone.utc)
    if value[:1].isdigit() and _TIMESTAMP.fullmatch(value):
        try:
            return parse_timestamp(value, local=local)
        except ValueError as exc:
            raise ValueError(f"`{value}` is not a real time ({exc})") from None
    span = _duration(value)
    if span is None:
        raise ValueError(f"`{value}` is not a timestamp, a date or a duration")
    return now.astimezone(timezone.utc) - span


def _duration(value: str) -> timedelta | None:
    """An ISO 8601 or friendly duration; ``None`` when ``value`` is neither."""
    if value[:1] in ("P", "p"):
        iso = _ISO_DURATION.fullmatch(value)
        if iso is None or not any(iso.groupdict().values()) or value.upper().endswith("T"):
            if re.search(r"\d+[YM]", value.upper().split("T")[0]):
                raise ValueError(f"`{value}`: months and years are not allowed (their length varies)")
            return None
        parts = {k: int(v) for k, v in iso.groupdict().items() if v}
        return timedelta(weeks=parts.get("w", 0), days=parts.get("d", 0), hours=parts.get("h", 0),
                         minutes=parts.get("m", 0), seconds=parts.get("s", 0))
    words = value.lower().replace(",", " ")
    if words.endswith(" ago"):
        words = words[: -len(" ago")]
    total = timedelta()
    position = 0
    for match in _FRIENDLY_PART.finditer(words):
        if words[position:match.start()].strip():
            return None
        unit = match.group(2)
        if unit in _CALENDAR:
            raise ValueError(f"`{value}`: months and years are not allowed (their length varies)")
        step = _UNITS.get(unit)
        if step is None:
            return None
        total += int(match.group(1)) * step
        position = match.end()
    if position == 0 or words[position:].strip():
        return None
    return total
