"""Benchmark: the global search and the list's search box at 1,000,000 customers.

Run from the repository root (once per database)::

    .venv/bin/python bench/search.py --database-url sqlite:////tmp/kehu_bench_search.sqlite3
    .venv/bin/python bench/search.py \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_search

What it does:

1. Creates the database if missing (a PostgreSQL database name / SQLite file name must contain
   ``bench``: the script empties the customer tables), migrates it, and adds 5 departments and
   50 salespeople. Then generates ``--rows`` customers (85 % companies with realistic Chinese
   names "城市 + 字号 + 字号 + 行业 + 有限公司", 15 % individuals "姓 + 名") and one contact for
   every fourth customer, phones in mixed formats (``138-1234-5678``, ``+86 138 1234 5678``,
   ``0086 13812345678``, ``(010) 8888 6666``, ``021-6666 8888`` …) and e-mails, seeded, with
   ``executemany`` bulk inserts; the search columns come from the application's
   ``build_document`` (the pinyin of each name part is computed once and joined). The search
   indexes are dropped during the load and rebuilt after it (FTS5 ``rebuild`` / GIN build). No
   audit rows (the demo generator measures that path). A later run with the same row count
   reuses the data.
2. Draws ``--queries`` queries of each kind from the generated rows (seeded): a 4-character
   name substring, a 2-character Chinese piece of a name, full pinyin of the first four
   characters, pinyin initials (mnemonic prefix), the phone in another format than stored, the
   e-mail in upper case; and fixed ones: a piece almost every name holds (有限, 公司) and a rare
   or absent 2-character piece (C0, 伟芳, 9X). A contact's document holds its customer's name.
3. Times, in-process with Django's test ``Client``, the global search dropdown (``/search/`` as
   HTMX: customers AND contacts, ranked, 10 each) and the customer list page (``?q=``) as a
   superuser and as a salesperson (own data scope), and prints p50/p95/max per kind, the number
   of hits, and ``EXPLAIN`` (``EXPLAIN QUERY PLAN`` on SQLite) of the ranked customer query.
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

CITIES = [
    "北京",
    "上海",
    "深圳",
    "广州",
    "杭州",
    "成都",
    "南京",
    "武汉",
    "苏州",
    "天津",
    "重庆",
    "西安",
    "长沙",
    "郑州",
    "青岛",
    "宁波",
    "东莞",
    "佛山",
    "合肥",
    "济南",
    "无锡",
    "厦门",
    "福州",
    "沈阳",
    "大连",
    "昆明",
    "哈尔滨",
    "长春",
    "石家庄",
    "南昌",
    "贵阳",
    "南宁",
    "太原",
    "温州",
    "泉州",
    "常州",
    "珠海",
    "中山",
    "烟台",
    "徐州",
]
WORDS = [
    "华为",
    "腾飞",
    "宏达",
    "金鑫",
    "恒瑞",
    "海天",
    "美的",
    "格力",
    "中兴",
    "东方",
    "长城",
    "新华",
    "光明",
    "永安",
    "鸿运",
    "天成",
    "瑞丰",
    "嘉禾",
    "盛世",
    "汇通",
    "信达",
    "安泰",
    "博远",
    "创新",
    "德胜",
    "丰源",
    "广利",
    "国泰",
    "和信",
    "弘毅",
    "华丰",
    "汇丰",
    "佳美",
    "锦程",
    "九州",
    "聚源",
    "凯旋",
    "康达",
    "利民",
    "联创",
    "龙腾",
    "隆盛",
    "明珠",
    "南方",
    "普惠",
    "齐心",
    "启航",
    "千禧",
    "roll",
    "荣昌",
    "瑞祥",
    "三和",
    "尚品",
    "深蓝",
    "圣达",
    "世纪",
    "顺发",
    "泰和",
    "天宇",
    "通达",
    "万达",
    "伟业",
    "文华",
    "祥和",
    "鑫源",
    "星辰",
    "兴业",
    "雅居",
    "阳光",
    "亿达",
    "银河",
    "永盛",
    "宇通",
    "远大",
    "正泰",
    "致远",
    "智联",
    "中天",
    "卓越",
]
WORDS = [w for w in WORDS if w != "roll"]
INDUSTRIES = [
    "科技",
    "电子",
    "机械",
    "贸易",
    "物流",
    "建材",
    "化工",
    "医药",
    "食品",
    "服装",
    "信息技术",
    "网络",
    "软件",
    "环保",
    "能源",
    "汽车配件",
    "家具",
    "印刷",
    "包装",
    "电气",
]
SUFFIXES = ["有限公司"] * 6 + ["股份有限公司", "有限责任公司", "集团有限公司", "实业有限公司"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强红梅晓东玉兰")
AREAS = ["010", "021", "020", "0755", "0571", "028", "025", "027", "022", "023"]
MAILS = ["qq.com", "163.com", "126.com", "sina.com", "outlook.com"]

KINDS = ("name substring", "2-char Chinese", "full pinyin", "initials", "phone (other format)",
         "e-mail (upper case)", "very common piece", "rare 2-char piece")  # fmt: skip
#: In ~90 % of the names (the company suffix) / in next to none (no name holds "c0": numbers are
#: not in the 1-2 character index; 伟芳 only in a few people's names).
COMMON_PIECES = ("有限", "公司")
RARE_PIECES = ("C0", "伟芳", "9X")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ensure_database(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        if "bench" not in Path(parts.path).name:
            sys.exit("the SQLite file name must contain 'bench'")
        return
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit("the database name must contain 'bench'")
    import psycopg

    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    data_dir = tempfile.mkdtemp(prefix="kehu-bench-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["KEHU_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    for var in ("KEHU_DEBUG", "KEHU_TESTING", "KEHU_PRODUCTION", "REDIS_URL"):
        os.environ.pop(var, None)
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()  # the data directory and its secret key, as `kehu` makes them
    django.setup()
    logging.disable(logging.WARNING)


# --- Data -----------------------------------------------------------------------------------------


def phone_formats(rng: random.Random) -> tuple[str, str]:
    """A phone as stored and the same phone as someone types it differently."""
    if rng.random() < 0.7:
        d = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
        forms = [d, f"{d[:3]}-{d[3:7]}-{d[7:]}", f"+86 {d[:3]} {d[3:7]} {d[7:]}", f"0086 {d}",
                 f"86{d}", f"{d[:3]} {d[3:7]} {d[7:]}"]  # fmt: skip
    else:
        area = rng.choice(AREAS)
        local = "".join(rng.choice("23456789") for _ in range(8 if len(area) == 3 else 7))
        forms = [f"{area}-{local}", f"({area}) {local[:4]} {local[4:]}",
                 f"+86 {area[1:]} {local[:4]} {local[4:]}", f"0086-{area[1:]}-{local}",
                 f"{area} {local}"]  # fmt: skip
    stored, typed = rng.sample(forms, 2)
    return stored, typed


def org():
    from kehu.system.actions import create_department, create_employee, ensure_default_roles
    from kehu.system.models import Department, User

    roles = ensure_default_roles()
    if not Department.objects.filter(code="BENCH").exists():
        top = create_department(name="销售中心", code="BENCH")
        for d in range(5):
            dept = create_department(name=f"销售{d + 1}部", code=f"BENCH{d}", parent=top)
            for i in range(10):
                create_employee(
                    username=f"bench_sales_{d}_{i}",
                    password=None,
                    department=dept,
                    roles=[roles["salesperson"]],
                )
        create_employee(
            username="bench_admin", password=None, department=top, is_superuser=True, roles=[]
        )
    people = list(User.objects.filter(username__startswith="bench_sales_").order_by("pk"))
    return User.objects.get(username="bench_admin"), people


CUSTOMER_COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "number",
    "name",
    "mnemonic",
    "kind",
    "phone",
    "email",
    "city",
    "address",
    "industry",
    "level",
    "credit_limit",
    "registered_on",
    "notes",
    "department_id",
    "owner_id",
    "search_text",
    "search_grams",
]
CONTACT_COLUMNS = [
    "created_at",
    "updated_at",
    "version",
    "name",
    "gender",
    "work_department",
    "title",
    "office_phone",
    "mobile",
    "email",
    "home_phone",
    "fax_im",
    "hobbies",
    "notes",
    "is_primary",
    "customer_id",
    "department_id",
    "owner_id",
    "search_text",
    "search_grams",
]


def insert_sql(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"


def generate(rows: int, seed: int, people) -> None:
    """Rows built in Python and inserted with ``executemany``; the search columns come from the
    application's ``build_document`` (pinyin of each name part is computed once and joined:
    pypinyin's segmentation is the slow part and the parts repeat)."""
    from datetime import date

    from django.db import connection, transaction
    from django.utils import timezone

    from kehu.core.search import (
        build_document,
        drop_search_index,
        install_search_index,
        pinyin_forms,
    )

    rng = random.Random(seed)
    py = {
        part: pinyin_forms(part)
        for part in (*CITIES, *WORDS, *INDUSTRIES, *set(SUFFIXES), *SURNAMES, *GIVEN)
    }

    def pinyin_of(*parts: str) -> tuple[str, str]:
        return "".join(py[p][0] for p in parts), "".join(py[p][1] for p in parts)

    def person() -> tuple[str, tuple[str, str]]:
        parts = [rng.choice(SURNAMES)] + [rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))]
        return "".join(parts), pinyin_of(*parts)

    for table in ("customers_customer", "customers_contact"):
        drop_search_index(connection, table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":  # the generator's own session: indexes in memory
            cursor.execute("PRAGMA cache_size=-2000000")
        else:
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '256MB'")
            cursor.execute("SET max_parallel_maintenance_workers = 0")
    now = timezone.now()
    today = date.today()
    started = time.perf_counter()
    batch_size = 10_000
    customer_sql = insert_sql("customers_customer", CUSTOMER_COLUMNS)
    contact_sql = insert_sql("customers_contact", CONTACT_COLUMNS)
    n = 0
    while n < rows:
        customers, contacts = [], []
        for i in range(n, min(rows, n + batch_size)):
            owner = people[rng.randrange(len(people))]
            stored, _typed = phone_formats(rng)
            if rng.random() < 0.85:
                w1, w2 = rng.sample(WORDS, 2)
                parts = (rng.choice(CITIES), w1, w2, rng.choice(INDUSTRIES), rng.choice(SUFFIXES))
                name, pinyin = "".join(parts), pinyin_of(*parts)
                box = rng.choice(["info", "sales", "service", "hr"])
                email = f"{box}@{py[w1][0]}{py[w2][0]}{i % 997}.com.cn"
                kind = "company"
            else:
                name, pinyin = person()
                email = f"{pinyin[0]}{rng.randrange(100, 9999)}@{rng.choice(MAILS)}"
                kind = "individual"
            email = email if rng.random() < 0.8 else ""
            number = f"C{i + 1:08d}"
            mnemonic = pinyin[1].upper()[:50]
            text, grams = build_document(
                name=name,
                codes=[mnemonic, number],
                phones=[stored, "", ""],
                emails=[email],
                pinyin=pinyin,
            )
            pk = i + 1
            customers.append(
                (pk, now, now, 1, number, name, mnemonic, kind, stored, email, "", "", "", "",
                 0, today, "", owner.department_id, owner.pk, text, grams)
            )  # fmt: skip
            if i % 4 == 0:
                c_name, c_pinyin = person()
                mobile, _typed = phone_formats(rng)
                c_email = f"{c_pinyin[0]}{rng.randrange(100, 999)}@{rng.choice(MAILS)}"
                c_text, c_grams = build_document(
                    name=c_name,
                    phones=[mobile, "", ""],
                    emails=[c_email],
                    pinyin=c_pinyin,
                    related_name=name,
                    related_codes=[mnemonic],
                    related_pinyin=pinyin,
                )
                contacts.append(
                    (now, now, 1, c_name, "unknown", "", "", "", mobile, c_email, "", "", "", "",
                     True, pk, owner.department_id, owner.pk, c_text, c_grams)
                )  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(customer_sql, customers)
            cursor.executemany(contact_sql, contacts)
        n += len(customers)
        rate = n / (time.perf_counter() - started)
        log(f"  {n:,} / {rows:,} customers ({rate:,.0f}/s)")
    log("building the search indexes …")
    t = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("customers_customer", "customers_contact"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
    for table in ("customers_customer", "customers_contact"):
        install_search_index(connection, table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE customers_customer")
            cursor.execute("VACUUM ANALYZE customers_contact")
        else:
            cursor.execute("ANALYZE")
    log(f"  indexes built in {time.perf_counter() - t:.0f} s")
    log(f"generated in {time.perf_counter() - started:.0f} s")


def draw_queries(per_kind: int, seed: int, rep) -> dict[str, list[tuple[str, str]]]:
    """(query, scope) pairs per kind; scope "all" draws from every customer, "own" from the
    salesperson's, so the restricted user looks for customers they can find."""
    from kehu.core.search import phone_national, pinyin_forms
    from kehu.customers.models import Customer

    rng = random.Random(seed + 1)
    top = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    out: dict[str, list[tuple[str, str]]] = {k: [] for k in KINDS}
    for scope in ("all", "own"):
        qs = Customer.objects.all() if scope == "all" else Customer.objects.filter(owner=rep)
        sample = []
        while len(sample) < per_kind:
            pk = rng.randrange(1, top + 1)
            row = qs.filter(pk__gte=pk).order_by("pk").first()
            if row is not None and row.kind == Customer.Kind.COMPANY and row.email:
                sample.append(row)
        for row in sample:
            name = row.name
            start = rng.randrange(2, max(3, len(name) - 6))
            out["name substring"].append((name[start : start + 4], scope))
            out["2-char Chinese"].append((name[start : start + 2], scope))
            out["full pinyin"].append((pinyin_forms(name[:4])[0], scope))
            out["initials"].append((row.mnemonic[:6], scope))
            national = phone_national(row.phone)
            out["phone (other format)"].append((other_format(national, rng), scope))
            out["e-mail (upper case)"].append((row.email.upper(), scope))
        for i in range(per_kind):
            out["very common piece"].append((COMMON_PIECES[i % len(COMMON_PIECES)], scope))
            out["rare 2-char piece"].append((RARE_PIECES[i % len(RARE_PIECES)], scope))
    return out


def other_format(national: str, rng: random.Random) -> str:
    if national.startswith("1") and len(national) == 11:
        return rng.choice([f"+86 {national[:3]}-{national[3:7]}-{national[7:]}",
                           f"0086{national}", f"{national[:3]} {national[3:7]} {national[7:]}"])  # fmt: skip
    body = national.lstrip("0")
    return rng.choice([f"+86 {body}", f"0{body[:2]}-{body[2:]}", f"0086 {body}"])


def timed(client, url: str, params: dict, headers: dict) -> tuple[float, int]:
    t = time.perf_counter()
    response = client.get(url, params, **headers)
    elapsed = time.perf_counter() - t
    assert response.status_code == 200, (url, params, response.status_code)
    return elapsed, response.content.decode().count("search-hit-name")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))]


def measure(queries, admin, rep) -> list[dict]:
    from django.test import Client
    from django.urls import reverse

    results = []
    for label, user in (("superuser", admin), ("salesperson", rep)):
        client = Client()
        client.force_login(user)
        for kind, pairs in queries.items():
            for endpoint, url, headers in (
                ("global search", reverse("core:search"), {"HTTP_HX_REQUEST": "true"}),
                ("list ?q=", reverse("customers:customer_list"), {}),
            ):
                wanted = "all" if label == "superuser" else "own"
                times, hits = [], []
                for q, scope in pairs:
                    if scope != wanted:
                        continue
                    timed(client, url, {"q": q}, headers)  # warm the cache for this query once
                    elapsed, n = timed(client, url, {"q": q}, headers)
                    times.append(elapsed * 1000)
                    hits.append(n)
                results.append(
                    {
                        "user": label,
                        "endpoint": endpoint,
                        "kind": kind,
                        "n": len(times),
                        "p50": statistics.median(times),
                        "p95": pct(times, 95),
                        "max": max(times),
                        "hits": statistics.median(hits) if endpoint == "global search" else None,
                        "example": pairs[0][0],
                    }
                )
                log(f"{label:11} {endpoint:13} {kind:22} p50 {results[-1]['p50']:7.1f} ms "
                    f"p95 {results[-1]['p95']:7.1f} ms max {results[-1]['max']:7.1f} ms")  # fmt: skip
    return results


def explain(queries, admin, rep) -> str:
    from django.db import connection

    from kehu.core.search import search
    from kehu.customers.models import Customer

    out = []
    kinds = ("name substring", "2-char Chinese", "phone (other format)", "very common piece",
             "rare 2-char piece")  # fmt: skip
    for kind in kinds:
        q = queries[kind][0][0]
        for label, user in (("superuser", admin), ("salesperson", rep)):
            qs = search(Customer.objects.visible_to(user), q).order_by("-pk")[:51]  # list page
            sql, params = qs.query.sql_with_params()
            with connection.cursor() as cursor:
                if connection.vendor == "sqlite":
                    cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
                    plan = "\n".join(" ".join(str(c) for c in row[1:]) for row in cursor.fetchall())
                else:
                    cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}", params)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
            out.append(f"-- {kind} {q!r} as {label}\n{plan}\n")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=30, help="queries per kind and user")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument(
        "--generate-only", action="store_true", help="load the data, measure nothing"
    )
    args = parser.parse_args()

    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    from kehu.customers.models import Contact, Customer

    call_command("migrate", verbosity=0, interactive=False)
    admin, people = org()
    count = Customer.objects.count()
    if count != args.rows or args.regenerate:
        log(f"generating {args.rows:,} customers (found {count:,}) …")
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM customers_contact")
            cursor.execute("DELETE FROM customers_customer")
        generate(args.rows, args.seed, people)
    if args.generate_only:
        return
    rep = max(people, key=lambda p: Customer.objects.filter(owner=p).count())
    log(f"salesperson {rep.username} owns {Customer.objects.filter(owner=rep).count():,} customers")
    queries = draw_queries(args.queries, args.seed, rep)
    results = measure(queries, admin, rep)
    print(f"\n{connection.vendor}, {Customer.objects.count():,} customers, "
          f"{Contact.objects.count():,} contacts\n")  # fmt: skip
    print("| user | page | query kind | example | n | p50 ms | p95 ms | max ms | hits (median) |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        hits = "" if r["hits"] is None else f"{r['hits']:.0f}"
        print(f"| {r['user']} | {r['endpoint']} | {r['kind']} | `{r['example']}` | {r['n']} | "
              f"{r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {hits} |")  # fmt: skip
    print("\n```\n" + explain(queries, admin, rep) + "```")


if __name__ == "__main__":
    main()
