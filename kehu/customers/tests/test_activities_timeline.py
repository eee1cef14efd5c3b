"""The 360° timeline (merge order, pagination with ties, kinds, extension sources, permissions,
query counts), owners past and present, customer panels, and the iCalendar format."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.core.actions import add_attachment, bulk_update_audited
from kehu.core.context import acting_as
from kehu.customers import timeline as tl
from kehu.customers.ical import calendar_bytes, clean_text
from kehu.customers.models import Activity

from .factories import activity, contact, customer

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(datetime.datetime(2026, 6, 1, 9, 0))


def at(hours: float) -> datetime.datetime:
    return T0 + datetime.timedelta(hours=hours)


@pytest.fixture
def owner(make_user):
    return make_user("salesperson", "a1")


@pytest.fixture
def extra_source():
    """A later module's source, registered for one test only."""
    added = []

    def add(name, fn, **kw):
        tl.register_timeline_source(name, fn, **kw)
        added.append(name)

    before = dict(tl.TIMELINE_SOURCES)
    yield add
    for name in added:  # put back what was there (a real module may use the same name)
        tl.TIMELINE_SOURCES.pop(name, None)
        if name in before:
            tl.TIMELINE_SOURCES[name] = before[name]


def short(title: str) -> str:
    return title.split(" · ")[-1]


def walk(cust, user, *, limit, kinds=None):
    """Every page of the timeline: the entries' titles, page by page."""
    pages, cursor = [], None
    while True:
        page = tl.timeline(cust, user, cursor=cursor, limit=limit, kinds=kinds)
        pages.append([short(e.title) for e in page.entries])
        if not page.cursor:
            return pages
        cursor = page.cursor
        assert len(pages) < 100


def test_sources_merge_newest_first_and_pages_lose_nothing(owner, extra_source):
    cust = customer(owner, 1)
    for i, hours in enumerate([1, 5, 9, 9, 9, 12]):  # three activities share a timestamp
        activity(owner, 10 + i, customer=cust, subject=f"A{i}", start_at=at(hours))

    def deals(customer, user, *, before, limit):
        rows = [(at(h), f"D{h}") for h in (2, 9, 9, 11, 30)]
        rows = [r for r in rows if before is None or r[0] <= before]
        for when, title in sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)[:limit]:
            yield tl.TimelineEntry(when=when, kind="deal", icon="bi-briefcase", title=title)

    extra_source("test-deals", deals, label="Deals", order=50)
    kinds = ["activities", "test-deals"]
    entries = tl.timeline(cust, owner, limit=100, kinds=kinds).entries
    everything = [short(e.title) for e in entries]
    # equal times: activities (order 10) before deals (order 50), each in its own order
    assert everything == ["D30", "A5", "D11", "A4", "A3", "A2", "D9", "D9", "A1", "D2", "A0"]
    for limit in (1, 2, 3, 4, 7):
        pages = walk(cust, owner, limit=limit, kinds=["activities", "test-deals"])
        flat = [t for page in pages for t in page]
        assert flat == everything, (limit, pages)
        assert all(len(page) <= limit for page in pages)


def test_built_in_sources_and_kind_filter(owner, make_user):
    cust = customer(owner, 1)
    with acting_as(owner):
        contact(owner, 1, customer=cust, name="王经理", mobile="13800000001")
        add_attachment(
            target=cust,
            upload=SimpleUploadedFile("报价单.pdf", b"%PDF-1.4 test", "application/pdf"),
        )
        cust.city = "杭州"
        cust.save()
    activity(owner, 2, customer=cust, subject="电话回访", start_at=timezone.now())
    entries = tl.timeline(cust, owner, limit=50).entries
    kinds = {e.source for e in entries}
    assert kinds == {"activities", "contacts", "attachments", "history"}
    titles = " | ".join(e.title for e in entries)
    assert "王经理" in titles and "报价单.pdf" in titles and "电话回访" in titles
    changed = next(e for e in entries if e.kind == "changed")
    assert "城市" in changed.summary or "city" in changed.summary
    assert "杭州" not in changed.summary  # values need the audit permission
    only = tl.timeline(cust, owner, limit=50, kinds=["contacts"]).entries
    assert {e.source for e in only} == {"contacts"}


def test_history_shows_owner_changes_and_owners_past_and_present(owner, make_user, admin_user):
    heir = make_user("salesperson", "a2")
    cust = customer(owner, 1)
    with acting_as(admin_user):
        bulk_update_audited(
            type(cust).objects.filter(pk=cust.pk), owner=heir, department=heir.department
        )
    cust.refresh_from_db()
    history = tl.owner_history(cust, admin_user)
    assert [p.owner for p in history] == [str(heir), str(owner)]
    assert history[0].until is None and history[1].until == history[0].since
    entries = tl.timeline(cust, admin_user, limit=10, kinds=["history"]).entries
    assert entries[0].kind == "owner" and entries[0].summary == f"{owner} → {heir}"


def test_timeline_view_respects_permissions_and_load_more(client, owner, make_user):
    cust = customer(owner, 1)
    for i in range(25):
        activity(owner, 10 + i, customer=cust, subject=f"第{i}次电话", start_at=at(i))
    client.force_login(owner)
    url = reverse("customers:customer_timeline", args=[cust.pk])
    first = client.get(url, {"kind": "activities"}).content.decode()
    assert first.count('class="list-group-item timeline-entry') == 20
    assert "第24次电话" in first and "第4次电话" not in first
    more = re.search(r'hx-get="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(more).content.decode()
    assert second.count('class="list-group-item timeline-entry') == 5
    assert "第4次电话" in second and "第5次电话" not in second and "hx-get" not in second
    teammate = make_user("salesperson", "a1")
    client.force_login(teammate)
    assert client.get(url).status_code == 404


def test_timeline_queries_do_not_grow_with_rows(client, owner):
    cust = customer(owner, 1)
    client.force_login(owner)
    url = reverse("customers:customer_timeline", args=[cust.pk])
    counts = []
    for n in (2, 15):
        with acting_as(owner):
            for i in range(n):
                activity(owner, 100 * n + i, customer=cust, start_at=at(i))
                c = contact(owner, 100 * n + i, customer=cust, mobile=f"1380000{n:02d}{i:02d}")
                c.save()
                add_attachment(
                    target=cust,
                    upload=SimpleUploadedFile(f"f{n}-{i}.txt", b"hello", "text/plain"),
                )
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
        client.get(cust.get_absolute_url())  # warm the dictionary cache
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(cust.get_absolute_url()).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[:2] == counts[2:], counts  # the timeline page, then the customer page


def test_customer_panels_registry(client, owner, settings, tmp_path):
    (tmp_path / "panel.html").write_text('<div class="card-body">等级 {{ tier }}</div>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    cust = customer(owner, 1)
    client.force_login(owner)
    saved = dict(tl.CUSTOMER_PANELS)  # the panels other apps registered (analytics' value card)
    tl.CUSTOMER_PANELS.clear()
    assert b"customer-panel-placeholder" in client.get(cust.get_absolute_url()).content
    tl.register_customer_panel(
        "test-value",
        label="价值面板甲",
        template="panel.html",
        context=lambda customer, user: {"tier": "A"} if customer.pk == cust.pk else None,
    )
    try:
        page = client.get(cust.get_absolute_url()).content.decode()
        assert "价值面板甲" in page and "等级 A" in page
        assert "customer-panel-placeholder" not in page
        other = customer(owner, 2)
        assert "价值面板甲" not in client.get(other.get_absolute_url()).content.decode()
    finally:
        tl.CUSTOMER_PANELS.clear()
        tl.CUSTOMER_PANELS.update(saved)


# --- iCalendar ----------------------------------------------------------------------------------


def test_control_characters_are_dropped_from_text():
    assert clean_text("a\x0bb\x7fc\td\ne") == "abc\td\ne"


def test_ics_file_is_strict_rfc5545_and_parses(owner):
    cust = customer(owner, 1, name="北京华为;技术,有限公司")
    a = activity(
        owner,
        1,
        customer=cust,
        kind="meeting",
        subject="年度框架协议谈判：价格, 交期; 付款\\条件 " + "很长的主题" * 20,
        start_at=timezone.make_aware(datetime.datetime(2026, 12, 1, 9, 30)),
        end_at=timezone.make_aware(datetime.datetime(2026, 12, 1, 11, 0)),
        location="客户会议室, 3楼",
        commitment="答应给予5%的折扣",
        commitment_due=datetime.date(2026, 12, 4),
        reminder_minutes=15,
        status="planned",
    )
    all_day = activity(
        owner,
        2,
        customer=cust,
        subject="展会",
        all_day=True,
        start_at=timezone.make_aware(datetime.datetime(2026, 12, 2, 0, 0)),
    )
    data = calendar_bytes(
        Activity.objects.select_related("customer").order_by("pk"),
        name="测试",
        host="kehu.example.cn",
        base_url="https://kehu.example.cn",
    )
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF only
    for raw in data.split(b"\r\n")[:-1]:
        assert len(raw) <= 75, raw
        raw.decode("utf-8")  # folding never splits a character
    text = data.decode()
    unfolded = text.replace("\r\n ", "")
    assert "DTSTART:20261201T013000Z" in unfolded  # 09:30 in Shanghai is 01:30 UTC
    assert "DTSTART;VALUE=DATE:20261202" in unfolded and "DTEND;VALUE=DATE:20261203" in unfolded
    assert "北京华为\\;技术\\,有限公司" in unfolded
    assert f"UID:activity-{a.pk}@kehu.example.cn" in unfolded
    assert "TRIGGER:-PT15M" in unfolded

    import icalendar

    cal = icalendar.Calendar.from_ical(data)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    event = events[f"activity-{a.pk}@kehu.example.cn"]
    assert str(event["SUMMARY"]).startswith(
        "[会议] 年度框架协议谈判：价格, 交期; 付款\\条件"
    ) or str(event["SUMMARY"]).startswith("[Meeting] 年度框架协议谈判：价格, 交期; 付款\\条件")
    assert str(event["LOCATION"]) == "客户会议室, 3楼"
    assert event.decoded("DTSTART") == datetime.datetime(2026, 12, 1, 1, 30, tzinfo=datetime.UTC)
    assert "答应给予5%的折扣" in str(event["DESCRIPTION"])
    day = events[f"activity-{all_day.pk}@kehu.example.cn"]
    assert day.decoded("DTSTART") == datetime.date(2026, 12, 2)


def test_ics_time_zone_is_the_servers(owner, settings):
    """X-WR-TIMEZONE names settings.TIME_ZONE (KEHU_TIME_ZONE), not a hard-coded Shanghai, and
    an all-day event's dates are that zone's."""
    settings.TIME_ZONE = "Europe/Berlin"
    activity(
        owner,
        1,
        subject="全天",
        all_day=True,
        start_at=datetime.datetime(2026, 12, 2, 22, 30, tzinfo=datetime.UTC),  # 23:30 in Berlin
    )
    data = calendar_bytes(
        Activity.objects.select_related("customer"), name="x", host="h", base_url="https://h"
    ).decode()
    assert "X-WR-TIMEZONE:Europe/Berlin\r\n" in data and "Asia/Shanghai" not in data
    assert "DTSTART;VALUE=DATE:20261202\r\n" in data


def test_ics_download_respects_filters(client, owner):
    cust = customer(owner, 1)
    activity(owner, 1, customer=cust, subject="拜访A", kind="visit")
    activity(owner, 2, customer=cust, subject="电话B", kind="call")
    client.force_login(owner)
    r = client.get(reverse("customers:activity_ics"), {"kind": "visit"})
    assert r.status_code == 200 and r["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in r["Content-Disposition"]
    body = b"".join(r.streaming_content).decode()
    assert "拜访A" in body and "电话B" not in body


def test_history_values_read_as_labels_and_local_times(owner, admin_user):
    cust = customer(owner, 1, status="active")
    with acting_as(admin_user):
        cust.status = "dormant"
        cust.lifecycle_stage = "decline"
        cust.lifecycle_since = timezone.now()
        cust.save()
    entries = tl.timeline(cust, admin_user, limit=10, kinds=["history"]).entries
    changed = next(e for e in entries if e.kind == "changed")
    assert "decline" not in changed.summary and "dormant" not in changed.summary
    assert "T" not in changed.summary.split("\n")[-1].split("→")[-1]  # no ISO timestamps
