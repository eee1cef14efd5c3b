"""Working days and working minutes (for SLA clocks): weekdays, hours, holidays and 调休."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.system.actions import (
    CHINA_2026_HOLIDAYS,
    import_holidays,
    is_working_day,
    save_holiday,
    update_parameters,
    working_minutes_between,
)
from kehu.system.models import Holiday

from .test_params import fresh_cache  # noqa: F401 - autouse


def at(day: str, hm: str = "09:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hm}")


@pytest.fixture
def china_2026(db):
    import_holidays(rows=CHINA_2026_HOLIDAYS)


@pytest.mark.django_db
def test_china_2026_calendar_is_complete_and_import_is_idempotent():
    created = import_holidays(rows=CHINA_2026_HOLIDAYS)
    assert created == len(CHINA_2026_HOLIDAYS)
    assert import_holidays(rows=CHINA_2026_HOLIDAYS) == 0
    kinds = dict(Holiday.objects.values_list("date", "kind"))
    assert sum(1 for k in kinds.values() if k == "holiday") == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert sorted(d for d, k in kinds.items() if k == "workday") == [
        dt.date(2026, 1, 4),
        dt.date(2026, 2, 14),
        dt.date(2026, 2, 28),
        dt.date(2026, 5, 9),
        dt.date(2026, 9, 20),
        dt.date(2026, 10, 10),
    ]
    # Make-up days fall on weekends, by definition.
    assert all(d.isoweekday() in (6, 7) for d, k in kinds.items() if k == "workday")
    # A changed row is updated, not duplicated.
    assert import_holidays(rows=[(dt.date(2026, 1, 1), "holiday", "New Year")]) == 1
    assert Holiday.objects.get(date=dt.date(2026, 1, 1)).name == "New Year"


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-02-13", True),  # Friday before the Spring Festival
        ("2026-02-14", True),  # Saturday: make-up working day (调休)
        ("2026-02-15", False),  # Sunday, first day off
        ("2026-02-16", False),  # Monday, holiday
        ("2026-02-17", False),  # New Year's day
        ("2026-02-23", False),  # Monday, last day off
        ("2026-02-24", True),  # back to work
        ("2026-02-28", True),  # Saturday: make-up working day
        ("2026-03-01", False),  # an ordinary Sunday
        ("2026-03-07", False),  # an ordinary Saturday
        ("2026-03-09", True),  # an ordinary Monday
    ],
)
def test_is_working_day_in_the_spring_festival(china_2026, day, working):
    assert is_working_day(dt.date.fromisoformat(day)) is working


def test_spring_festival_week_counts_only_the_make_up_saturday(china_2026):
    # Fri 17:00 → Tue 10:00 after the holiday: 60 (Fri) + 540 (Sat 14th, 调休) + 60 (Tue).
    assert working_minutes_between(at("2026-02-13", "17:00"), at("2026-02-24", "10:00")) == 660
    # Entirely inside the holiday: nothing.
    assert working_minutes_between(at("2026-02-16", "09:00"), at("2026-02-20", "18:00")) == 0
    # The make-up Saturday alone is a full working day.
    assert working_minutes_between(at("2026-02-14", "00:00"), at("2026-02-15", "00:00")) == 540


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (("2026-03-02", "10:00"), ("2026-03-02", "11:30"), 90),  # inside one day
        (("2026-03-02", "17:30"), ("2026-03-03", "09:30"), 60),  # overnight
        (("2026-03-02", "07:00"), ("2026-03-02", "20:00"), 540),  # both outside the hours
        (("2026-03-02", "20:00"), ("2026-03-03", "08:00"), 0),  # all night, nothing
        (("2026-03-02", "18:00"), ("2026-03-03", "09:00"), 0),  # from close to open
        (("2026-03-06", "17:00"), ("2026-03-09", "10:00"), 120),  # over a weekend
        (("2026-03-07", "10:00"), ("2026-03-08", "16:00"), 0),  # weekend only
        (("2026-03-02", "09:00"), ("2026-03-09", "09:00"), 5 * 540),  # a whole week
        (("2026-03-03", "12:00"), ("2026-03-02", "12:00"), 0),  # end before start
        (("2026-03-02", "12:00"), ("2026-03-02", "12:00"), 0),  # empty
        (("2026-03-02", "09:00"), ("2026-03-02", "09:00:59"), 0),  # whole minutes only
    ],
)
def test_working_minutes_between(start, end, minutes):
    assert working_minutes_between(at(*start), at(*end)) == minutes


@pytest.mark.django_db
def test_parameters_change_working_hours_and_days(make_user):
    admin = make_user("administrator", "hq")
    span = (at("2026-03-06", "08:00"), at("2026-03-09", "08:00"))  # Fri 08:00 → Mon 08:00
    assert working_minutes_between(*span) == 540
    update_parameters(
        user=admin,
        work_start=dt.time(8, 30),
        work_end=dt.time(12),
        work_weekdays="123456",
    )
    assert working_minutes_between(*span) == 210 * 2  # Friday and now Saturday
    assert is_working_day(dt.date(2026, 3, 7))
    assert not is_working_day(dt.date(2026, 3, 8))


@pytest.mark.django_db
def test_aware_datetimes_use_the_local_time_zone():
    start = timezone.make_aware(at("2026-03-02", "10:00"))
    end = timezone.make_aware(at("2026-03-02", "12:00"))
    assert working_minutes_between(start, end) == 120
    assert working_minutes_between(start.astimezone(dt.UTC), end.astimezone(dt.UTC)) == 120


@pytest.mark.django_db
def test_a_new_holiday_counts_at_once(client, make_user):
    day = dt.date(2026, 3, 4)
    assert is_working_day(day)
    holiday = save_holiday(holiday=Holiday(date=day, name="公司周年", kind="holiday"))
    assert not is_working_day(day)
    assert working_minutes_between(at("2026-03-04", "00:00"), at("2026-03-05", "00:00")) == 0
    holiday.delete()
    assert is_working_day(day)
    # Through the UI as well.
    client.force_login(make_user("administrator", "hq"))
    response = client.post(
        reverse("system:holiday_add"), {"date": "2026-03-04", "kind": "holiday", "name": "x"}
    )
    assert response.status_code == 302
    assert not is_working_day(day)
    response = client.post(
        reverse("system:holiday_add"), {"date": "2026-03-04", "kind": "workday", "name": "y"}
    )
    assert response.status_code == 200  # one entry per date
    assert "date" in response.context["form"].errors
