"""iCalendar (RFC 5545) files of activities, written by hand: CRLF line ends, lines folded at
75 octets without splitting a UTF-8 character, TEXT values escaped, times in UTC."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator

from django.utils import timezone

from .models import Activity

PRODID = "-//Kehu CRM//Activities//ZH"
STATUS = {
    Activity.Status.PLANNED: "CONFIRMED",
    Activity.Status.DONE: "CONFIRMED",
    Activity.Status.CANCELLED: "CANCELLED",
}


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma, newlines."""
    value = str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    # Other control characters are not allowed in TEXT.
    return "".join(ch for ch in value if ch == "\t" or ord(ch) >= 0x20 and ord(ch) != 0x7F)


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets (continuations start with a space
    that counts toward the 75), never inside a multi-byte UTF-8 sequence."""
    out: list[str] = []
    current, size, limit = [], 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append("".join(current))
            current, size, limit = [" "], 1, 75
        current.append(ch)
        size += n
    out.append("".join(current))
    return "\r\n".join(out)


def utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def local_date(value: datetime.datetime) -> datetime.date:
    return timezone.localtime(value).date()


def event_lines(activity: Activity, *, host: str, base_url: str, now: datetime.datetime):
    start = activity.start_at
    yield "BEGIN:VEVENT"
    yield f"UID:activity-{activity.pk}@{host}"
    yield f"DTSTAMP:{utc(now)}"
    if activity.all_day:
        first = local_date(start)
        last = local_date(activity.end_at) if activity.end_at else first
        yield f"DTSTART;VALUE=DATE:{first:%Y%m%d}"
        yield f"DTEND;VALUE=DATE:{last + datetime.timedelta(days=1):%Y%m%d}"
    else:
        end = activity.end_at or start + datetime.timedelta(
            minutes=30 if activity.kind != Activity.Kind.TASK else 0
        )
        yield f"DTSTART:{utc(start)}"
        yield f"DTEND:{utc(max(end, start))}"
    kind = activity.get_kind_display()
    yield f"SUMMARY:{escape_text(f'[{kind}] {activity.subject} · {activity.customer.name}')}"
    parts = [activity.description, activity.outcome]
    if activity.commitment:
        due = f" ({activity.commitment_due:%Y-%m-%d})" if activity.commitment_due else ""
        parts.append(f"→ {activity.commitment}{due}")
    description = "\n\n".join(p for p in parts if p)
    if description:
        yield f"DESCRIPTION:{escape_text(description)}"
    if activity.location:
        yield f"LOCATION:{escape_text(activity.location)}"
    yield f"STATUS:{STATUS.get(activity.status, 'CONFIRMED')}"
    yield f"CATEGORIES:{escape_text(kind)}"
    yield f"URL:{base_url}{activity.get_absolute_url()}"
    yield f"SEQUENCE:{max(0, activity.version - 1)}"
    yield f"LAST-MODIFIED:{utc(activity.updated_at)}"
    if activity.status == Activity.Status.PLANNED and activity.reminder_minutes is not None:
        yield "BEGIN:VALARM"
        yield "ACTION:DISPLAY"
        yield f"DESCRIPTION:{escape_text(activity.subject)}"
        yield f"TRIGGER:-PT{activity.reminder_minutes}M"
        yield "END:VALARM"
    yield "END:VEVENT"


def calendar_stream(
    activities: Iterable[Activity], *, name: str, host: str, base_url: str
) -> Iterator[bytes]:
    """The whole VCALENDAR, one chunk per event (streamed: feeds can be long)."""
    now = timezone.now()
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    yield "".join(fold(line) + "\r\n" for line in head).encode()
    for activity in activities:
        lines = event_lines(activity, host=host, base_url=base_url, now=now)
        yield "".join(fold(line) + "\r\n" for line in lines).encode()
    yield b"END:VCALENDAR\r\n"


def calendar_bytes(activities: Iterable[Activity], **kwargs) -> bytes:
    return b"".join(calendar_stream(activities, **kwargs))
