"""The customers issue's "Done when", walked in a real browser, once in Chinese and once in English.

"A salesperson can find any of their customers in a second, see the whole relationship on one page,
log what they did and promised, and a manager can merge duplicates, import a trade-show list with
bad rows, and hand over a leaving employee's book — all in a real browser, in Chinese and English."

One continuous story per language on a few hundred demo customers, driven only through the UI (the
set-up uses actions and the demo generator). Each step asserts the outcome in the database and the
page text in the language of the run, and saves a screenshot to
``test-artifacts/done-when/<lang>/NN-<step>.png``. The time the search dropdown took is written to
``test-artifacts/done-when/<lang>/timings.txt`` (recorded, never asserted).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import time
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kehu.core.context import acting_as
from kehu.core.demo import DemoContext
from kehu.core.models import Notification
from kehu.customers import actions
from kehu.customers.actions.matching import scan_duplicates
from kehu.customers.demo.customer import customers as demo_customers
from kehu.customers.models import Activity, Contact, Customer, DuplicateCandidate
from kehu.system.actions import create_employee

pytestmark = pytest.mark.browser

PASSWORD = "pw-Kehu-123"  # as tests/browser/conftest.py
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "done-when"
DEMO_CUSTOMERS = 300

# The labels the story relies on, per language (all in the committed zh_Hans catalogue).
TEXT = {
    "zh-hans": {
        "customers": "客户",
        "name": "名称",
        "calendar": "日历",
        "duplicates": "疑似重复",
        "system": "系统",
        "handover": "工作交接",
        "log_activity": "记录活动",
        "contacts": "联系人",
        "merge": "合并",
        "preview": "预览",
        "hand_over_now": "立即移交",
        "open_commitments": "未兑现承诺",
    },
    "en": {
        "customers": "Customers",
        "name": "Name",
        "calendar": "Calendar",
        "duplicates": "Possible duplicates",
        "system": "System",
        "handover": "Handover",
        "log_activity": "Log activity",
        "contacts": "Contacts",
        "merge": "Merge",
        "preview": "Preview",
        "hand_over_now": "Hand over now",
        "open_commitments": "Open commitments",
    },
}

# Latin words a Chinese page may show: formats, encodings, brands and the data of the story.
LATIN_OK = {
    "crm",
    "english",
    "csv",
    "xlsx",
    "utf",
    "gb18030",
    "excel",
    "ics",
    "vcard",
    "ctrl",
    "kehu",
    "api",
    "rfm",  # RFM 细分, ABC 类, SLA, KPI: acronyms Chinese CRM screens keep in Latin letters
    "abc",
    "sla",
    "kpi",
    "clv",
}
# Marked for translation by this branch, translated by the coordinator later: tolerated (in
# English) on the Chinese pages until then.
PENDING_TRANSLATION = re.compile(r"Merged \d+ records? into")
FILE_NAME = re.compile(r"[^\s()]+\.(csv|xlsx|ics)\b")  # a file name is data, not text
# What the zh pages are checked for: the headings, buttons and navigation of the visited pages.
CHROME = (
    "main h1, main h2, main .card-header, main button:visible, main a.btn:visible, "
    "nav.module-nav a, main thead th[scope=col], main label.form-label, main legend, "
    "main dt, main .badge, main .breadcrumb, .alert, main .form-text, #search-dropdown"
)

TRADE_SHOW_HEADER = ["公司名称", "电话", "邮箱", "城市", "联系人", "手机", "备注信息"]


def trade_show_csv() -> bytes:
    """A list typed in at a trade-show stand: three good rows and three bad ones (GBK, as Excel
    on a Chinese Windows saves it)."""
    rows = [
        ["展会宁波港通物流有限公司", "0574-87650001", "info@gangtong.example", "宁波", "周杰", "13905740001", "2026 工博会"],
        ["展会长沙星辰电子有限公司", "0731-84440002", "", "长沙", "", "", "2026 工博会"],
        ["", "020-38880003", "", "广州", "", "", "名片上没有公司名"],
        ["展会厦门海光贸易有限公司", "", "haiguang-at-example", "厦门", "", "", ""],
        ["展会青岛嘉和食品有限公司", "0532-85550004", "", "青岛", "孙丽", "139", ""],
        ["展会天津永兴机械有限公司", "+86 22 2333 0005", "", "天津", "", "", "2026 工博会"],
    ]  # fmt: skip
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(TRADE_SHOW_HEADER)
    writer.writerows(rows)
    return buf.getvalue().encode("gbk")


class Story:
    """The shared browser page, the run's language and the numbered screenshots."""

    def __init__(self, web, lang: str):
        self.web = web
        self.page = web.page
        self.lang = lang
        self.t = TEXT[lang]
        self.dir = ARTIFACTS / lang
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.n = 0
        self.timings: list[str] = []

    def shot(self, step: str) -> None:
        self.n += 1
        self.page.mouse.move(0, 0)
        self.page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar stays at the top
        self.page.screenshot(path=str(self.dir / f"{self.n:02d}-{step}.png"), full_page=True)
        if self.lang == "zh-hans":
            self.assert_chinese_chrome(step)

    def assert_chinese_chrome(self, step: str) -> None:
        """No English word in the headings, buttons, navigation and labels of a zh page."""
        assert self.page.locator("html").get_attribute("lang") == "zh-hans"
        texts = self.page.locator(CHROME).all_inner_texts()
        english = [
            t.strip()
            for t in texts
            if any(
                w.lower() not in LATIN_OK
                for w in re.findall(
                    r"[A-Za-z]{2,}", FILE_NAME.sub("", PENDING_TRANSLATION.sub("", t))
                )
            )
        ]
        assert not english, f"{step}: untranslated text on a Chinese page: {english}"

    def nav(self, module: str, link: str) -> None:
        """Open a module from the top bar, then one of its pages from the module bar."""
        with self.page.expect_navigation():
            self.page.locator(f"nav a[data-module={module}]").click()
        with self.page.expect_navigation():
            self.page.locator("nav.module-nav a", has_text=self.t[link]).first.click()

    def login(self, username: str) -> None:
        self.web.login(username, PASSWORD)
        assert self.page.locator("html").get_attribute("lang") == self.lang

    def logout(self) -> None:
        self.page.locator("nav .dropdown-toggle").first.click()
        self.page.locator("form[action$='/logout/'] button").click()
        self.page.wait_for_url("**/login/**")


@pytest.fixture
def world(roles, org):
    """A branch (华东分公司) with four salespeople, one in another branch, and its manager; 300 demo
    customers spread over them, one well-kept customer and a planted duplicate pair."""

    def person(username, name, dept, *role_list):
        return create_employee(
            username=username,
            password=PASSWORD,
            display_name=name,
            department=org[dept],
            roles=list(role_list),
        )

    sales = roles["salesperson"]
    lina = person("lina", "李娜", "a1", sales)
    leaver = person("zhangwei", "张伟", "a1", sales)
    heir1 = person("wangfang", "王芳", "a1", sales)
    heir2 = person("liuyang", "刘洋", "a2", sales)
    north = person("chenjie", "陈杰", "b", sales)
    # The branch manager of 华东 (A1, A2): her default role may hand over books within the branch.
    manager = person("zhaomin", "赵敏", "a", roles["branch_manager"])

    ctx = DemoContext(seed=20261123, customers=DEMO_CUSTOMERS, employees=0, out=lambda _: None)
    ctx.data["salespeople"] = [lina, leaver, heir1, heir2, north]
    demo_customers(ctx)

    with acting_as(lina):
        key = actions.save_customer(
            customer=Customer(
                name="杭州恒信精密仪器有限公司",
                city="杭州",
                phone="0571-88886666",
                email="purchase@hengxin.example",
                address="杭州市滨江区江南大道 88 号",
                credit_rating="AA",
            ),
            user=lina,
        )
        buyer = actions.save_contact(
            contact=Contact(
                customer=key, name="王建国", title="采购经理", mobile="13805710001", is_primary=True
            ),
            user=lina,
        )
        actions.save_contact(
            contact=Contact(customer=key, name="陈晓梅", title="财务总监", mobile="13805710002"),
            user=lina,
        )
        now = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
        for days, kind, subject, outcome in [
            (-21, "visit", "上门拜访采购部", "客户对新型号感兴趣"),
            (-9, "email", "发送产品目录和报价单", ""),
        ]:
            actions.log_activity(
                customer=key,
                user=lina,
                kind=kind,
                subject=subject,
                start_at=now + datetime.timedelta(days=days),
                outcome=outcome,
                contacts=[buyer],
            )
    # the same name in another branch: 李娜 must not see it
    with acting_as(north):
        actions.save_customer(
            customer=Customer(name="杭州恒信精密仪器维修中心", city="杭州"), user=north
        )
    # a trade-show card and a web-shop order for one customer: a duplicate pair
    with acting_as(heir1):
        kept = actions.save_customer(
            customer=Customer(
                name="苏州瑞丰机械有限公司",
                city="苏州",
                phone="0512-66881234",
                address="苏州市工业园区星湖街 328 号",
            ),
            user=heir1,
        )
        card = actions.save_customer(
            customer=Customer(
                name="蘇州瑞豐機械",
                phone="+86 512 6688 1234",
                email="sales@ruifeng.example",
                address="工业园区星湖街328号",
            ),
            user=heir1,
        )
    scan_duplicates(kind="customer", full=True)
    assert DuplicateCandidate.objects.filter(
        status="open", customer_a__in=[kept, card], customer_b__in=[kept, card]
    ).exists()
    return {
        "lina": lina,
        "leaver": leaver,
        "heir1": heir1,
        "heir2": heir2,
        "north": north,
        "manager": manager,
        "key": key,
        "buyer": buyer,
        "kept": kept,
        "card": card,
    }


def search_timed(s: Story, box, hit, text: str) -> str:
    """Type into the top-bar box, wait for the customer in the dropdown; the time it took."""
    started = time.perf_counter()
    with s.page.expect_response(lambda r: "/search/?" in r.url and r.ok) as info:
        box.fill(text)
    hit.wait_for()
    took = time.perf_counter() - started
    timing = info.value.request.timing  # ms from the request's start
    server = timing["responseEnd"] if timing["responseEnd"] > 0 else float("nan")
    return (
        f"search dropdown '{text}': {took * 1000:.0f} ms from typing to the hit shown "
        f"(300 ms input debounce included), request to response end {server:.0f} ms"
    )


def salesperson_day(s: Story, w: dict) -> None:
    page, t, key = s.page, s.t, w["key"]
    s.login("lina")
    s.shot("home")

    # 1. find the customer from the top-bar search; the dropdown's time is recorded
    box = page.locator(".navbar-search input[name=q]")
    # the customer's own hit (its contacts are found by its name too, below it)
    hit = page.locator(f'#search-dropdown .search-hit[href="{key.get_absolute_url()}"]')
    s.timings.append(search_timed(s, box, hit, "杭州恒信"))
    expect(page.locator("#search-dropdown")).not_to_contain_text("维修中心")  # not 李娜's
    box.fill("")
    s.timings.append(search_timed(s, box, hit, "hzhx"))  # the pinyin initials find it too
    s.timings.append(search_timed(s, box, hit, "0571 8888 6666"))  # as the caller says it
    group = page.locator("#search-dropdown .list-group-item").first
    expect(group).to_contain_text(t["customers"])  # the group's title, capitalised in English
    s.shot("search-dropdown")
    with page.expect_navigation():
        hit.click()
    assert page.url.endswith(f"/customers/customers/{key.pk}/")

    # 2. the 360° page: profile, contacts, timeline
    expect(page.locator("main h1")).to_have_text(key.name)
    expect(page.locator("main dl")).to_contain_text("0571-88886666")
    expect(page.locator("#contacts")).to_contain_text(t["contacts"])
    expect(page.locator("#contacts tbody tr")).to_have_count(2)
    expect(page.locator("#contacts")).to_contain_text("王建国")
    expect(
        page.locator("#timeline-list .timeline-entry", has_text="上门拜访采购部")
    ).to_be_visible()
    page.locator("#care-card").wait_for()
    s.shot("customer-360")

    # 3. log a call with a commitment and its due date (HTMX, no reload)
    page.locator("main .page-header a[href='#quick-activity-card']").click()
    form = page.locator("#quick-activity")
    expect(form.locator("button[type=submit]")).to_contain_text(t["log_activity"])
    page.evaluate("window.__kehuNoReload = true")
    form.locator("select[name=kind]").select_option("call")
    form.locator("input[name=subject]").fill("电话确认试用安排")
    form.locator("select[name=contacts]").select_option(str(w["buyer"].pk))
    form.locator("textarea[name=outcome]").fill("客户同意先试用两台")
    form.locator("input[name=commitment]").fill("周五前寄出两台样机")
    due = timezone.localdate() + datetime.timedelta(days=3)
    form.locator("input[name=commitment_due]").fill(due.isoformat())
    s.shot("log-activity")
    form.locator("button[type=submit]").click()
    expect(page.locator("#quick-activity .alert-success")).to_contain_text("电话确认试用安排")
    logged = Activity.objects.get(subject="电话确认试用安排")
    assert (logged.customer, logged.owner, logged.commitment_due) == (key, w["lina"], due)
    assert logged.commitment == "周五前寄出两台样机"
    assert list(logged.contacts.all()) == [w["buyer"]]
    assert page.evaluate("window.__kehuNoReload === true"), "the page was reloaded"

    # 4. on the timeline, at the top, with the promise
    entry = page.locator("#timeline-list .timeline-entry").first
    expect(entry).to_contain_text("电话确认试用安排")
    expect(entry).to_contain_text("周五前寄出两台样机")
    # and in the open-commitments card, without a reload
    expect(page.locator("#open-commitments")).to_contain_text(t["open_commitments"])
    expect(page.locator("#open-commitments")).to_contain_text("周五前寄出两台样机")
    assert page.evaluate("window.__kehuNoReload === true"), "the page was reloaded"
    s.shot("timeline")

    # 5. and in the calendar, on today's cell
    s.nav("customers", "calendar")
    today = page.locator(f"td.calendar-day[data-date='{timezone.localdate().isoformat()}']")
    expect(today.locator(".calendar-item", has_text="电话确认试用安排")).to_be_visible()
    s.shot("calendar")
    s.logout()


def manager_day(s: Story, w: dict) -> None:
    page, t = s.page, s.t
    s.login("zhaomin")

    # 6. the duplicate review queue: merge the planted pair, keeping the trade-show card's e-mail
    s.nav("customers", "duplicates")
    expect(page.locator("main h1")).to_have_text(t["duplicates"])
    card = page.locator(".duplicate-card", has_text="苏州瑞丰机械有限公司").filter(
        has_text="蘇州瑞豐機械"
    )
    expect(card).to_have_count(1)
    expect(card.locator(".badge.rounded-pill").first).to_contain_text(t["name"])
    s.shot("duplicate-queue")
    with page.expect_navigation():
        card.locator("a.btn", has_text=t["merge"]).click()
    kept, other = w["kept"], w["card"]
    survivor = page.locator(f".merge-table input[name=survivor][value='{kept.pk}']")
    if not survivor.is_checked():
        survivor.check()
    page.locator(f"input[name=value_email][value='{other.pk}']").check()
    page.locator(f"input[name=value_city][value='{kept.pk}']").check()
    expect(page.locator("#merge-submit")).to_contain_text(t["merge"])
    s.shot("merge")
    with page.expect_navigation():
        page.locator("#merge-submit").click()
    assert page.url.endswith(f"/customers/customers/{kept.pk}/")
    expect(page.locator("#aliases")).to_contain_text("蘇州瑞豐機械")
    if s.lang == "en":
        expect(page.locator(".alert-success")).to_contain_text("Merged 1 record into")
    kept.refresh_from_db()
    assert (kept.name, kept.city, kept.email) == (
        "苏州瑞丰机械有限公司",
        "苏州",
        "sales@ruifeng.example",
    )
    assert not Customer.objects.filter(pk=other.pk).exists()
    assert DuplicateCandidate.objects.filter(status="merged").exists()
    s.shot("merged")

    # 7. import the trade-show list: map, dry run, import, counts, the error report
    with page.expect_navigation():
        page.locator("nav a[data-module=customers]").click()
    with page.expect_navigation():
        page.locator("nav.module-nav a", has_text=t["customers"]).first.click()
    with page.expect_navigation():
        page.locator("a[data-import]").click()
    page.locator("input[type=file]").set_input_files(
        {"name": "2026工博会名片.csv", "mimeType": "text/csv", "buffer": trade_show_csv()}
    )
    s.shot("import-upload")
    with page.expect_navigation():
        page.locator("#import-upload button[type=submit]").click()
    expect(page.locator("#encoding")).to_have_value("gb18030")
    expect(page.locator("select[data-column='公司名称']")).to_have_value("name")
    expect(page.locator("select[data-column='联系人']")).to_have_value("contact_name")
    page.locator("select[data-column='备注信息']").select_option("notes")
    s.shot("import-mapping")
    with page.expect_navigation():
        page.locator("button[data-preview]").click()
    expect(page.locator("[data-count=created]")).to_have_text("3")
    expect(page.locator("[data-count=error]")).to_have_text("3")
    s.shot("import-dry-run")
    assert not Customer.objects.filter(name__startswith="展会").exists()  # a dry run
    with page.expect_navigation():
        page.locator("button[data-run]").click()
    expect(page.locator("#import-status")).to_have_attribute("data-status", "done")
    expect(page.locator("#import-status [data-count=created]")).to_have_text("3")
    s.shot("import-done")
    with page.expect_download() as info:
        page.locator("a[data-error-report]").click()
    report = list(csv.reader(io.StringIO(Path(info.value.path()).read_bytes().decode("utf-8-sig"))))
    assert report[0][0] == ("行" if s.lang == "zh-hans" else "Row")
    assert [r[0] for r in report[1:]] == ["4", "5", "6"]
    assert "020-38880003" in report[1] and "haiguang-at-example" in report[2]
    imported = Customer.objects.filter(name__startswith="展会")
    assert sorted(imported.values_list("name", flat=True)) == [
        "展会天津永兴机械有限公司",
        "展会宁波港通物流有限公司",
        "展会长沙星辰电子有限公司",
    ]
    assert set(imported.values_list("owner", flat=True)) == {w["manager"].pk}
    assert Contact.objects.get(name="周杰").customer.name == "展会宁波港通物流有限公司"
    assert not Contact.objects.filter(name="孙丽").exists()

    # 8. hand over 张伟's book to 王芳 and 刘洋
    leaver, heir1, heir2 = w["leaver"], w["heir1"], w["heir2"]
    book = set(Customer.objects.filter(owner=leaver).values_list("pk", flat=True))
    assert len(book) > 20
    s.nav("customers", "handover")  # the customers module links the page for managers
    expect(page.locator("main h1")).to_have_text(t["handover"])
    s.web.pick("id_employee", "zhangwei", leaver.pk)
    expect(page.locator("#handover-owned [data-handover=customers] .badge")).to_have_text(
        str(len(book))
    )
    s.web.settled()
    # only her branch's people are offered (陈杰 of 华北 is not)
    assert str(w["north"].pk) not in s.web.offered("id_handover_to", "cj")
    s.web.pick("id_handover_to", "wangfang", heir1.pk)
    s.web.pick("id_handover_to", "liuyang", heir2.pk)
    page.locator("#split-choices input[value=round_robin]").check()
    with page.expect_navigation():
        page.locator("#handover-preview").click()
    expect(page.locator("#handover-preview-card .card-header")).to_have_text(t["preview"])
    half = (len(book) + 1) // 2
    expect(
        page.locator("#handover-preview-table tbody tr[data-handover=customers] td")
    ).to_have_text([str(len(book)), str(half), str(len(book) - half)])
    s.shot("handover-preview")
    assert Customer.objects.filter(owner=leaver).count() == len(book)  # a preview moves nothing
    totals = page.locator("#handover-preview-table tbody td.fw-semibold").all_inner_texts()
    total = sum(int(n) for n in totals)
    execute = page.locator("#handover-execute button[type=submit]")
    expect(execute).to_contain_text(t["hand_over_now"])
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        execute.click()
    alert = page.locator(".alert-success")
    expect(alert).to_contain_text(f"{total} ")  # customers, their contacts, open care tasks
    expect(alert).to_contain_text("张伟")
    if s.lang == "en":  # "and" is newly marked: its Chinese is the coordinator's to choose
        expect(alert).to_contain_text("王芳 and 刘洋")
    else:
        expect(alert).to_contain_text(re.compile("王芳 .+ 刘洋"))
    expect(page.locator("#handover-owned [data-handover=customers] .badge")).to_have_text("0")
    s.shot("handover-done")
    owners = dict(Customer.objects.filter(pk__in=book).values_list("pk", "owner"))
    assert set(owners.values()) == {heir1.pk, heir2.pk}
    assert sum(1 for o in owners.values() if o == heir1.pk) == half
    s.logout()

    # 9. the new owners see the customers they took over
    for heir, dept in ((heir1, "a1"), (heir2, "a2")):
        s.login(heir.username)
        # told about it: one handover notice on the bell
        assert Notification.objects.filter(recipient=heir, kind="handover").count() == 1
        expect(page.locator("nav [data-unread]")).to_have_text("1")
        mine = Customer.objects.filter(owner=heir)
        taken = Customer.objects.filter(pk__in=book, owner=heir).order_by("number").first()
        with page.expect_navigation():
            page.locator("nav a[data-module=customers]").click()
        with page.expect_navigation():
            page.locator("nav.module-nav a", has_text=t["customers"]).first.click()
        assert page.locator("[data-count]").first.get_attribute("data-count") == str(mine.count())
        query = page.locator(".filter-form input[name=q]")
        query.fill(taken.number)
        query.press("Enter")
        row = page.locator("#object-table tbody tr", has_text=taken.number)
        expect(row).to_have_count(1)  # other numbers may start with it: find this one's row
        expect(row).to_contain_text(taken.name)
        expect(row).to_contain_text(heir.display_name)  # the owner column
        s.shot(f"heir-{dept}-list")
        s.logout()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_done_when_walkthrough(web, world, lang):
    started = time.perf_counter()
    s = Story(web, lang)
    web.goto("/login/")
    if lang != "zh-hans":
        web.switch_language(lang)
    assert web.page.locator("html").get_attribute("lang") == lang
    s.shot("login")
    salesperson_day(s, world)
    manager_day(s, world)
    s.timings.append(f"whole story in the browser: {time.perf_counter() - started:.1f} s")
    (s.dir / "timings.txt").write_text("\n".join(s.timings) + "\n", encoding="utf-8")
    print("\n".join(s.timings))
