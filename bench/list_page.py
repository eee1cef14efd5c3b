"""Benchmark: the customer list page and the API list at 1,000,000 customers on PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/list_page.py --rows 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench

What it does:

1. Creates the database named in ``--database-url`` if it is missing (the name must contain
   ``bench``: the script truncates tables and never touches any other database), migrates it, and
   fills it with an org chart (a 5-level tree of 193 departments, 300 employees) and ``--rows``
   customers generated server-side by one ``INSERT ... SELECT generate_series`` with the secondary
   indexes and foreign keys dropped and rebuilt afterwards. Then ``VACUUM (ANALYZE)``. A later run
   reuses the data when it already has the same number of rows and generator version (pass
   ``--regenerate`` to rebuild).
2. Requests ``/customers/customers/`` and ``/api/customers/`` in-process with Django's test
   ``Client`` (logged in with ``force_login``) as a superuser, a branch manager (department-subtree
   data scope, placed in the level-2 department with the most customers) and a salesperson (own
   records; the employee owning the most customers): the first page, a filtered page
   (``?city=上海``), a sorted page (``?sort=name`` / ``?ordering=name``) and a deep page reached by
   following the ``next`` cursors ``--deep`` pages deep.
3. Reports median and p95 wall time per request, the number of SQL queries per request, the
   database time of those queries and the time of the best hand-written SQL for the same rows
   (timed directly with psycopg, same server, same client-side parameter binding as Django), the
   plans of both (``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)``), and checks the goals. The markdown
   report is printed and written to ``bench/out/list_page.md`` (raw figures to
   ``bench/out/list_page.json``).

The server settings are not changed; the generator tunes only its own session (see
``GENERATOR_SESSION``). The measured requests run with the server defaults.
"""

from __future__ import annotations

import argparse
import atexit
import html
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
GENERATOR_VERSION = "4"  # 4: name_sort (pinyin) filled
PAGE_SIZE = 50
COUNT_CAP = 10_000
UI_PATH = "/customers/customers/"
API_PATH = "/api/customers/"
FILTER_CITY = "上海"

#: Per-session settings of the data generator only (never the server's, never the benchmark's).
GENERATOR_SESSION = {
    "synchronous_commit": "off",
    "maintenance_work_mem": "256MB",
    "work_mem": "64MB",
    # Serial index builds: the machine has 2 cores and other test suites share it.
    "max_parallel_maintenance_workers": "0",
}

# City weights (per mille-ish): 上海 ≈ 9.6 % of customers.
CITIES = [
    ("上海", 100), ("北京", 90), ("深圳", 70), ("广州", 65), ("杭州", 50), ("成都", 45),
    ("南京", 40), ("武汉", 40), ("苏州", 38), ("天津", 35), ("重庆", 35), ("西安", 30),
    ("长沙", 28), ("郑州", 27), ("青岛", 25), ("宁波", 24), ("东莞", 22), ("佛山", 20),
    ("合肥", 20), ("济南", 19), ("无锡", 18), ("厦门", 17), ("福州", 17), ("沈阳", 16),
    ("大连", 15), ("昆明", 15), ("哈尔滨", 14), ("长春", 13), ("石家庄", 13), ("南昌", 12),
    ("贵阳", 11), ("南宁", 11), ("太原", 10), ("温州", 10), ("泉州", 10), ("常州", 9),
    ("徐州", 9), ("烟台", 8), ("兰州", 8), ("乌鲁木齐", 6),
]  # fmt: skip
BRAND = list("华新东方恒泰鑫源盛达宏远金海天成中信安康瑞祥永隆嘉和广利富昌汇通兴旺佳德荣昊")
INDUSTRY_WORDS = [
    "科技", "贸易", "实业", "电子", "机械", "医药", "食品", "物流", "建设", "化工",
    "纺织", "咨询", "能源", "材料", "网络", "传媒", "环保", "汽车", "教育", "餐饮",
]  # fmt: skip
INDUSTRIES = [
    "制造业",
    "批发零售",
    "信息技术",
    "金融",
    "医疗",
    "教育",
    "物流",
    "建筑",
    "能源",
    "餐饮",
]
SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司", "商行"]
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
)
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宇浩凯健俊帆帅旭")
DISTRICTS = ["浦东新区", "朝阳区", "南山区", "天河区", "西湖区", "高新区", "经开区", "江北区"]
ROADS = ["人民路", "中山路", "解放路", "建设路", "长江路", "和平路", "科技路", "滨江大道"]
LEVELS = ["A"] * 10 + ["B"] * 25 + ["C"] * 40 + ["D"] * 25
REGIONS = [
    ("华东大区", ["上海分公司", "杭州分公司", "南京分公司"]),
    ("华北大区", ["北京分公司", "天津分公司", "济南分公司"]),
    ("华南大区", ["广州分公司", "深圳分公司", "厦门分公司"]),
]
SECTIONS = ["销售一部", "销售二部", "大客户部", "渠道部"]
TEAMS = ["第一组", "第二组", "第三组", "第四组"]
EMPLOYEES = 300
OWNER_SKEW = 1.5  # owner rank = floor(300 * random() ** 1.5): the top owner has ~10x the last


# --------------------------------------------------------------------------------------------
# Set-up
# --------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000, help="customers to generate")
    p.add_argument(
        "--database-url",
        default=os.environ.get(
            "KEHU_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kehu_bench"
        ),
        help="PostgreSQL database for the benchmark (created if missing; name must contain 'bench')",
    )
    p.add_argument("--regenerate", action="store_true", help="rebuild the data even if present")
    p.add_argument("--requests", type=int, default=30, help="timed requests per case")
    p.add_argument("--warmup", type=int, default=5, help="untimed requests per case first")
    p.add_argument("--deep", type=int, default=200, help="pages to follow for the deep page")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--out", type=Path, default=OUT_DIR / "list_page.md")
    p.add_argument(
        "--only", default="", help="comma list of users to run (admin,branch,sales); default all"
    )
    return p.parse_args()


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name or "bench" not in name:
        sys.exit(f"refusing to use database {name!r}: its name must contain 'bench'")
    return name


def conninfo(url: str) -> str:
    """A libpq URL (``postgres://``; dj-database-url also accepts ``postgresql://``)."""
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme in ("postgres", "postgresql", "pgsql") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))


def ensure_database(url: str, name: str) -> bool:
    """Create the benchmark database when missing (connecting to the ``postgres`` database)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(conninfo(url))
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    data_dir = tempfile.mkdtemp(prefix="kehu-bench-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["KEHU_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    for var in ("KEHU_DEBUG", "KEHU_TESTING", "KEHU_PRODUCTION", "REDIS_URL"):
        os.environ.pop(var, None)
    sys.path.insert(0, str(ROOT))
    import django

    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()  # the data directory and its secret key, as `kehu` makes them
    django.setup()
    # Keep the per-request JSON log line (its cost is part of a request) but write it to
    # /dev/null rather than drown the report on stderr.
    import logging

    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115


_T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - _T0:7.1f} s] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Data generator
# --------------------------------------------------------------------------------------------


def meta_get(conn) -> dict:
    conn.execute("CREATE TABLE IF NOT EXISTS kehu_bench_meta (key text PRIMARY KEY, value text)")
    return dict(conn.execute("SELECT key, value FROM kehu_bench_meta").fetchall())


def data_is_current(pg, rows: int, seed: int) -> bool:
    meta = meta_get(pg)
    if meta.get("version") != GENERATOR_VERSION or meta.get("rows") != str(rows):
        return False
    if meta.get("seed") != str(seed):
        return False
    (n,) = pg.execute("SELECT count(*) FROM customers_customer").fetchone()
    return n == rows


def generate(pg, rows: int, seed: int) -> dict:
    """Org chart and employees through the ORM, customers server-side in one statement."""
    from django.db import connection, transaction

    from kehu.system.actions import DefaultRole, ensure_default_roles
    from kehu.system.models import Department, User

    timings = {}
    rng = random.Random(seed)
    t0 = time.perf_counter()
    pg.execute("DELETE FROM kehu_bench_meta")
    with transaction.atomic():
        with connection.cursor() as cur:
            # Everything that references employees goes too (sessions, audit, customers).
            cur.execute(
                "TRUNCATE customers_customer, system_department, system_user "
                "RESTART IDENTITY CASCADE"
            )
        roles = ensure_default_roles()

        # 1 group, 3 regions, 9 branches, 36 sections, 144 teams: 193 departments, depth 0-4.
        counter = iter(range(1, 10_000))

        def dept(name, parent):
            code = f"D{next(counter):04d}"
            return Department(
                name=name,
                code=code,
                parent=parent,
                depth=parent.depth + 1 if parent else 0,
                path=f"{parent.path if parent else ''}{code}/",
            )

        group = Department.objects.bulk_create([dept("客户科技集团", None)])[0]
        regions = Department.objects.bulk_create([dept(r, group) for r, _b in REGIONS])
        branches = Department.objects.bulk_create(
            [dept(b, region) for region, (_r, bs) in zip(regions, REGIONS, strict=True) for b in bs]
        )
        sections = Department.objects.bulk_create(
            [dept(f"{b.name}{s}", b) for b in branches for s in SECTIONS]
        )
        teams = Department.objects.bulk_create(
            [dept(f"{s.name}{t}", s) for s in sections for t in TEAMS]
        )

        # 300 employees: 2 per team, the other 12 in sections/branches; ranks shuffled so the
        # owner skew does not follow the tree.
        homes = [teams[i % len(teams)] for i in range(2 * len(teams))]
        homes += rng.sample(sections + branches, EMPLOYEES - len(homes))
        employees = [
            User(
                username=f"e{i + 1:04d}",
                display_name=rng.choice(SURNAMES)
                + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                department=home,
                title="销售代表",
                password="!bench-unusable",
            )
            for i, home in enumerate(homes)
        ]
        employees = User.objects.bulk_create(employees)
        salesperson = roles[DefaultRole.SALESPERSON]
        User.roles.through.objects.bulk_create(
            [User.roles.through(user_id=u.pk, role_id=salesperson.pk) for u in employees]
        )
    timings["org chart (ORM)"] = time.perf_counter() - t0
    ranked = employees[:]
    rng.shuffle(ranked)
    owners = [u.pk for u in ranked]
    owner_depts = [u.department_id for u in ranked]

    t0 = time.perf_counter()
    with pg.transaction():
        for key, value in GENERATOR_SESSION.items():
            pg.execute(f"SET LOCAL {key} = '{value}'")
        # Drop secondary indexes and constraints, load, rebuild: ~10x faster than maintaining
        # 14 indexes and 4 foreign-key triggers per row. All in one transaction.
        constraints = pg.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'customers_customer'::regclass AND contype IN ('u', 'f')"
        ).fetchall()
        indexes = pg.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.tablename = 'customers_customer' AND i.schemaname = current_schema() "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
            "AND c.conrelid = 'customers_customer'::regclass)"
        ).fetchall()
        for name, _d in constraints:
            pg.execute(f'ALTER TABLE customers_customer DROP CONSTRAINT "{name}"')
        for name, _d in indexes:
            pg.execute(f'DROP INDEX "{name}"')
        pg.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        t1 = time.perf_counter()
        pg.execute(
            CUSTOMER_INSERT,
            {
                "n": rows,
                "cities": weighted_slots(CITIES, 200),
                "brand": BRAND,
                "words": INDUSTRY_WORDS,
                "industries": INDUSTRIES,
                "suffixes": SUFFIXES,
                "surnames": SURNAMES,
                "given": GIVEN,
                "districts": DISTRICTS,
                "roads": ROADS,
                "levels": LEVELS,
                "owners": owners,
                "depts": owner_depts,
                "skew": OWNER_SKEW,
                "employees": EMPLOYEES,
            },
        )
        timings["customers INSERT ... SELECT"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        fill_name_sort(pg)
        timings["name_sort (pinyin sort keys)"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        for _n, definition in indexes:
            pg.execute(definition)
        for name, definition in constraints:
            pg.execute(f'ALTER TABLE customers_customer ADD CONSTRAINT "{name}" {definition}')
        timings[f"rebuild {len(indexes)} indexes + {len(constraints)} constraints"] = (
            time.perf_counter() - t1
        )
        pg.execute(
            "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), "
            "(SELECT max(id) FROM customers_customer))"
        )
    timings["customers total"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    pg.execute("VACUUM (ANALYZE) customers_customer")
    for table in ("system_department", "system_user", "system_user_roles", "system_role"):
        pg.execute(f"VACUUM (ANALYZE) {table}")
    timings["VACUUM (ANALYZE)"] = time.perf_counter() - t0

    # Bench users: a superuser at the top, a branch manager on the region with most customers.
    t0 = time.perf_counter()
    (region_id,) = pg.execute(
        "SELECT r.id FROM system_department r "
        "JOIN system_department d ON d.path LIKE r.path || '%' "
        "JOIN customers_customer c ON c.department_id = d.id "
        "WHERE r.depth = 1 GROUP BY r.id ORDER BY count(*) DESC, r.id LIMIT 1"
    ).fetchone()
    with transaction.atomic():
        User.objects.create(
            username="bench_admin",
            display_name="系统管理员",
            department=group,
            is_superuser=True,
            is_staff=True,
            password="!bench-unusable",
        )
        manager = User.objects.create(
            username="bench_branch",
            display_name="区域经理",
            department_id=region_id,
            title="区域经理",
            password="!bench-unusable",
        )
        manager.roles.add(roles[DefaultRole.BRANCH_MANAGER])
    pg.execute("ANALYZE system_user")
    timings["bench users"] = time.perf_counter() - t0
    pg.execute(
        "INSERT INTO kehu_bench_meta VALUES ('version', %s), ('rows', %s), ('seed', %s), "
        "('salesperson', %s), ('generated_at', now()::text), ('timings', %s)",
        [GENERATOR_VERSION, str(rows), str(seed), str(owners[0]), json.dumps(timings)],
    )
    return timings


def weighted_slots(weighted: list[tuple[str, int]], slots: int) -> list[str]:
    total = sum(w for _v, w in weighted)
    out: list[str] = []
    for value, weight in weighted:
        out += [value] * max(1, round(weight * slots / total))
    return out


def pick(array: str, r: str = "random()") -> str:
    return f"(%({array})s::text[])[1 + floor({r} * cardinality(%({array})s::text[]))::int]"


# One row per generate_series value. OFFSET 0 keeps the subquery (each random() evaluated once).
def fill_name_sort(pg) -> None:
    """The pinyin sort key of every name (``kehu.core.text.pinyin_sort_key``, as saving does):
    computed once per distinct name in Python, written with one ``UPDATE ... FROM``."""
    from kehu.core.text import pinyin_sort_key

    names = [r[0] for r in pg.execute("SELECT DISTINCT name FROM customers_customer")]
    pg.execute("CREATE TEMP TABLE name_keys (name text PRIMARY KEY, key text) ON COMMIT DROP")
    with pg.cursor().copy("COPY name_keys (name, key) FROM STDIN") as copy:
        for name in names:
            copy.write_row((name, pinyin_sort_key(name)))
    pg.execute(
        "UPDATE customers_customer c SET name_sort = k.key FROM name_keys k WHERE c.name = k.name"
    )


CUSTOMER_INSERT = f"""
INSERT INTO customers_customer (
    id, created_at, updated_at, version, number, name, mnemonic, kind, phone, email, city,
    address, industry, level, credit_limit, registered_on, notes, owner_id, department_id,
    created_by_id, updated_by_id)
SELECT
    g.i,
    g.ts, g.ts, 1,
    'C' || lpad(g.i::text, 9, '0'),
    CASE WHEN g.individual THEN g.person
         ELSE g.city || g.brand || g.word || g.suffix END,
    translate(substr(md5(g.i::text), 1, 4 + g.i %% 4), '0123456789abcdef', 'ABCDEFGHJKLMNPQR'),
    CASE WHEN g.individual THEN 'individual' ELSE 'company' END,
    '1' || (3 + g.i %% 7)::text || lpad((floor(g.r_phone * 1e9))::bigint::text, 9, '0'),
    CASE WHEN g.r_email < 0.7 THEN 'c' || g.i || '@example.cn' ELSE '' END,
    g.city,
    g.city || '市' || g.district || g.road || (1 + g.i %% 999)::text || '号',
    g.industry,
    g.level,
    round((g.r_credit * 1000000)::numeric, 2),
    date '2015-01-01' + (g.i::bigint * 3650 / %(n)s)::int,
    '',
    (%(owners)s::bigint[])[g.k + 1],
    (%(depts)s::bigint[])[g.k + 1],
    (%(owners)s::bigint[])[g.k + 1],
    (%(owners)s::bigint[])[g.k + 1]
FROM (
    SELECT
        i,
        timestamptz '2015-01-01 09:00+08' + i * (interval '3650 days' / %(n)s) AS ts,
        {pick("cities")} AS city,
        {pick("brand")} || {pick("brand")} AS brand,
        {pick("words")} AS word,
        {pick("suffixes")} AS suffix,
        {pick("surnames")} || {pick("given")} || {pick("given")} AS person,
        {pick("industries")} AS industry,
        {pick("levels")} AS level,
        {pick("districts")} AS district,
        {pick("roads")} AS road,
        random() < 0.15 AS individual,
        random() AS r_phone,
        random() AS r_email,
        random() AS r_credit,
        least(floor(power(random(), %(skew)s) * %(employees)s)::int, %(employees)s - 1) AS k
    FROM generate_series(1, %(n)s) AS i
    OFFSET 0
) AS g
"""


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------


@dataclass
class Scope:
    key: str  # admin / branch / sales
    label: str
    user: object
    kind: str  # all / subtree / own
    dept_ids: list[int] = field(default_factory=list)


@dataclass
class Result:
    user: str
    endpoint: str
    case: str
    url: str
    depth: int
    wall_ms: list[float]
    cpu_ms: list[float]
    queries: list[int]
    db_ms: list[float]
    data_db_ms: list[float]
    hand_ms: list[float]
    sample_queries: list[tuple[str, float]]
    orm_plan: dict | None = None
    hand_plan: dict | None = None
    status: int = 200
    rows: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.wall_ms)

    @property
    def p95(self) -> float:
        return percentile(self.wall_ms, 95)

    @property
    def work(self) -> float:
        """CPU + DB time: the request's cost without waiting for other processes."""
        return self.cpu_median + self.db_median

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_ms)

    @property
    def db_median(self) -> float:
        return statistics.median(self.db_ms)

    @property
    def data_db_median(self) -> float:
        return statistics.median(self.data_db_ms)

    @property
    def hand_median(self) -> float:
        return statistics.median(self.hand_ms)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 30 samples is the 29th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


class QueryTimer:
    """An execute wrapper timing every query with perf_counter (CaptureQueriesContext rounds to
    whole milliseconds). With psycopg 3 the result rows arrive during ``execute``."""

    def __init__(self):
        self.calls: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.calls.append((sql, time.perf_counter() - start))


def is_data_query(sql: str) -> bool:
    return 'FROM "customers_customer"' in sql


def next_url(endpoint: str, response) -> str | None:
    if endpoint == "api":
        nxt = response.json().get("next")
        if not nxt:
            return None
        parts = urlsplit(nxt)
        return f"{parts.path}?{parts.query}"
    match = re.search(rb'rel="next" href="([^"#]+)"', response.content)
    if not match:
        return None
    return UI_PATH + html.unescape(match.group(1).decode())


def row_count(endpoint: str, response) -> int:
    if endpoint == "api":
        return len(response.json()["results"])
    return len(re.findall(rb'href="/customers/customers/\d+/"', response.content))


def keyset_position(endpoint: str, url: str) -> int | None:
    """The id after which the page starts, decoded from the page's cursor (one format for the
    UI's ``after=`` and the API's ``cursor=a…``; deep pages use the default sort, newest first)."""
    from kehu.core.pagination import decode_cursor

    query = parse_qs(urlsplit(url).query)
    if endpoint == "ui":
        token = query.get("after", [None])[0]
    else:
        token = (query.get("cursor", [""])[0] or "")[1:]
    cursor = decode_cursor(token, "-pk") if token else None
    return int(cursor[1]) if cursor else None


UI_COLUMNS = (
    "c.id, c.number, c.name, c.kind, c.city, c.phone, c.level, c.registered_on, "
    "u.display_name, u.first_name, u.last_name, u.username"
)
API_COLUMNS = (
    "c.id, c.number, c.name, c.mnemonic, c.kind, c.phone, c.email, c.city, c.address, "
    "c.industry, c.level, c.credit_limit, c.registered_on, c.notes, c.owner_id, "
    "c.department_id, c.created_at, c.updated_at, c.version"
)


def scope_condition(scope: Scope) -> tuple[list[str], list]:
    """The data-scope condition in SQL, the same one ``UserAccess.condition`` builds."""
    if scope.kind == "own":
        return ["c.owner_id = %s"], [scope.user.pk]
    if scope.kind == "subtree":
        return ["(c.owner_id = %s OR c.department_id = ANY(%s))"], [scope.user.pk, scope.dept_ids]
    return [], []


def where_clause(conditions: list[str]) -> str:
    return f"WHERE {' AND '.join(conditions)}" if conditions else ""


def hand_written(
    endpoint: str, scope: Scope, *, city: str | None, sort: str, after: int | None
) -> list[tuple[str, list]]:
    """The best SQL a person would write for the same rows: only the columns the page shows
    (list page: the owner's name; API: owner and department ids, no join), the same data-scope
    condition, the same keyset, ``page_size + 1`` rows; plus the capped count on the list page."""
    where, params = scope_condition(scope)
    if city:
        where.append("c.city = %s")
        params.append(city)
    count_sql = (
        f"SELECT count(*) FROM (SELECT 1 FROM customers_customer c {where_clause(where)} "
        f"LIMIT {COUNT_CAP + 1}) s"
    )
    count = (count_sql, list(params))
    if after is not None:
        where.append("c.id < %s")
        params.append(after)
    order = "c.name, c.id" if sort == "name" else "c.id DESC"
    tail = f"{where_clause(where)} ORDER BY {order} LIMIT {PAGE_SIZE + 1}"
    if endpoint == "ui":
        rows = (
            f"SELECT {UI_COLUMNS} FROM customers_customer c "
            f"JOIN system_user u ON u.id = c.owner_id {tail}"
        )
        return [count, (rows, params)]
    return [(f"SELECT {API_COLUMNS} FROM customers_customer c {tail}", params)]


def time_hand(pg, queries) -> float:
    """Milliseconds to run the hand-written queries and fetch their rows."""
    start = time.perf_counter()
    for sql, params in queries:
        pg.execute(sql, params).fetchall()
    return (time.perf_counter() - start) * 1000


def explain(pg, sql: str, params=None) -> dict:
    (plan,) = pg.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params).fetchone()
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    nodes = []

    def walk(node):
        label = node["Node Type"]
        if node.get("Index Name"):
            label += f" {node['Index Name']}"
        if node.get("Scan Direction") == "Backward":
            label += " (backward)"
        nodes.append(label)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    top = plan["Plan"]
    return {
        "plan": " → ".join(nodes),
        "planning_ms": plan.get("Planning Time"),
        "execution_ms": plan.get("Execution Time"),
        "shared_hit": top.get("Shared Hit Blocks"),
        "shared_read": top.get("Shared Read Blocks"),
        "jit": bool(plan.get("JIT")),
    }


def measure_case(client, pg, scope, endpoint, case, url, depth, args) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = {"HTTP_ACCEPT": "application/json"} if endpoint == "api" else {}
    params = parse_qs(urlsplit(url).query)
    city = params.get("city", [None])[0]
    sort = "name" if params.get("sort") == ["name"] or params.get("ordering") == ["name"] else "pk"
    queries = hand_written(
        endpoint, scope, city=city, sort=sort, after=keyset_position(endpoint, url)
    )
    for _ in range(args.warmup):
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code)
        time_hand(pg, queries)
    wall, cpu, counts, db, data_db, hand = [], [], [], [], [], []
    sample: list[tuple[str, float]] = []
    # Requests and hand-written queries alternate so both see the same load on the machine.
    for _ in range(args.requests):
        timer = QueryTimer()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, **headers)
            elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        assert response.status_code == 200, (url, response.status_code)
        wall.append(elapsed * 1000)
        cpu.append(elapsed_cpu * 1000)
        counts.append(len(captured.captured_queries))
        db.append(sum(t for _s, t in timer.calls) * 1000)
        data_db.append(sum(t for s, t in timer.calls if is_data_query(s)) * 1000)
        sample = [(q["sql"], t) for q, (_s, t) in zip(captured.captured_queries, timer.calls)]
        hand.append(time_hand(pg, queries))
    result = Result(
        user=scope.key,
        endpoint=endpoint,
        case=case,
        url=url,
        depth=depth,
        wall_ms=wall,
        cpu_ms=cpu,
        queries=counts,
        db_ms=db,
        data_db_ms=data_db,
        hand_ms=hand,
        sample_queries=sample,
        rows=row_count(endpoint, response),
    )
    page_sql = [s for s, _t in sample if is_data_query(s) and "COUNT(" not in s.upper()]
    if page_sql:
        result.orm_plan = explain(pg, page_sql[-1])
    result.hand_plan = explain(pg, *queries[-1])
    return result


def follow(client, endpoint: str, url: str, pages: int) -> tuple[str, int]:
    headers = {"HTTP_ACCEPT": "application/json"} if endpoint == "api" else {}
    depth = 1
    while depth < pages:
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code)
        nxt = next_url(endpoint, response)
        if not nxt:
            break
        url, depth = nxt, depth + 1
    return url, depth


def build_scopes(pg) -> list[Scope]:
    from kehu.system.access import get_access
    from kehu.system.models import User

    meta = meta_get(pg)
    admin = User.objects.get(username="bench_admin")
    branch = User.objects.get(username="bench_branch")
    sales = User.objects.get(pk=int(meta["salesperson"]))
    return [
        Scope("admin", "administrator (superuser)", admin, "all"),
        Scope(
            "branch",
            f"branch manager (subtree of {branch.department.name})",
            branch,
            "subtree",
            get_access(branch).subtree_ids(),
        ),
        Scope("sales", f"salesperson (own records, {sales.username})", sales, "own"),
    ]


def scope_facts(pg, scopes: list[Scope]) -> dict[str, dict]:
    facts = {}
    for scope in scopes:
        where, params = scope_condition(scope)
        (visible,) = pg.execute(
            f"SELECT count(*) FROM customers_customer c {where_clause(where)}", params
        ).fetchone()
        (in_city,) = pg.execute(
            f"SELECT count(*) FROM customers_customer c {where_clause([*where, 'c.city = %s'])}",
            [*params, FILTER_CITY],
        ).fetchone()
        facts[scope.key] = {
            "label": scope.label,
            "visible": visible,
            "in_city": in_city,
            "departments": len(scope.dept_ids),
        }
    return facts


def forget_list_settings(pg, scope: Scope) -> None:
    """Drop the list settings the bench user's requests remembered (sort, page size, columns)."""
    pg.execute("DELETE FROM core_listsettings WHERE user_id = %s", [scope.user.pk])


def run(args, pg, scopes: list[Scope]) -> list[Result]:
    from django.test import Client

    results = []
    for scope in scopes:
        client = Client()
        client.force_login(scope.user)
        for endpoint, base in (("ui", UI_PATH), ("api", API_PATH)):
            sort_param = {"sort": "name"} if endpoint == "ui" else {"ordering": "name"}
            cases = [
                ("first", base, 1),
                ("filtered", f"{base}?{urlencode({'city': FILTER_CITY})}", 1),
                ("sorted", f"{base}?{urlencode(sort_param)}", 1),
                # Filtered and sorted by name: company names start with their city, so the
                # filter's rows sit together in name order (pinyin: 上海 after most names).
                ("filtered sorted", f"{base}?{urlencode({'city': FILTER_CITY, **sort_param})}", 1),
            ]
            log(f"{scope.key} {endpoint}: following next cursors {args.deep} pages deep")
            forget_list_settings(pg, scope)
            deep_url, depth = follow(client, endpoint, base, args.deep)
            cases.append(("deep", deep_url, depth))
            for case, url, depth in cases:
                # A ``?sort=`` request is remembered (core.ListSettings) and would sort the
                # next case's bare URL: every case starts from the list's defaults.
                forget_list_settings(pg, scope)
                result = measure_case(client, pg, scope, endpoint, case, url, depth, args)
                log(
                    f"{scope.key:6} {endpoint:3} {case:8} median {result.median:6.1f} ms "
                    f"p95 {result.p95:6.1f} ms queries {max(result.queries)} "
                    f"db {result.db_median:5.1f} ms hand {result.hand_median:5.1f} ms"
                )
                results.append(result)
    return results


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

GOAL_P95_MS = 150
GOAL_DB_RATIO = 1.5
GOAL_RESTRICTED_RATIO = 1.3


def fmt(x: float) -> str:
    return f"{x:.1f}"


def server_settings(pg) -> dict[str, str]:
    names = [
        "server_version",
        "shared_buffers",
        "effective_cache_size",
        "work_mem",
        "random_page_cost",
        "max_parallel_workers_per_gather",
        "jit",
    ]
    return {n: pg.execute(f"SHOW {n}").fetchone()[0] for n in names}


def report(args, pg, results, scopes, facts, timings, started, env) -> str:
    by_key = {(r.user, r.endpoint, r.case): r for r in results}
    lines = [
        f"# List page and API list at {args.rows:,} customers (PostgreSQL)",
        "",
        f"Generated by `bench/list_page.py` on {time.strftime('%Y-%m-%d %H:%M')} "
        f"({time.perf_counter() - started:.0f} s). "
        f"{args.requests} timed requests per case after {args.warmup} warm-up requests; "
        f"deep page = {args.deep} pages of {PAGE_SIZE} following `next`.",
        "",
        "## Environment",
        "",
        f"- Machine: {os.cpu_count()} CPUs, {env['mem_gib']} GiB RAM, {platform.platform()}; "
        f"load average {env['load_start']} at start, {env['load_end']} at end "
        "(other test suites share the machine and the server).",
        f"- Python {platform.python_version()}, Django {env['django']}, psycopg {env['psycopg']}.",
        "- PostgreSQL: "
        + ", ".join(f"{k}={v}" for k, v in env["settings"].items())
        + " (server defaults, nothing tuned for the measured requests).",
        f"- Table: customers_customer {env['table_size']} including "
        f"{env['index_count']} indexes ({env['index_size']}).",
        "- Django: embedded settings (`kehu.settings`), DATABASE_URL to the bench database, "
        "fresh KEHU_DATA_DIR, request log formatted but written to /dev/null, CONN_MAX_AGE=60 (the test client keeps one "
        "connection for the whole run).",
    ]
    if timings:
        lines.append(
            "- Data generation this run: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
            + "."
        )
    else:
        lines.append("- Data generation: reused the existing data (pass --regenerate to rebuild).")
    lines += ["", "Users:", ""]
    for scope in scopes:
        f = facts[scope.key]
        extra = f", {f['departments']} departments in scope" if f["departments"] else ""
        lines.append(
            f"- **{scope.key}** — {f['label']}: sees {f['visible']:,} customers, "
            f"{f['in_city']:,} of them in {FILTER_CITY}{extra}."
        )
    lines += [
        "",
        "## Results",
        "",
        "Wall = the whole request in-process (middleware, session, permissions, queries, "
        "template or serializer); CPU = the benchmark process's CPU time during the request "
        "(Python side only, insensitive to other load on the machine). DB = the time of all SQL queries of the request (client-side, "
        "median); data = the customer queries only; hand = the best hand-written SQL for the "
        "same rows (list page: capped count + page joined to the owner; API: page only, no "
        "joins). Ratios are of medians.",
        "",
        "| User | Endpoint | Case | Depth | Rows | Median ms | p95 ms | CPU ms | Queries | DB ms | "
        "Data ms | Hand ms | DB/hand | Data/hand | vs admin (wall / CPU+DB) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        admin = by_key.get(("admin", r.endpoint, r.case))
        vs_admin = (
            f"{r.median / admin.median:.2f}x / {r.work / admin.work:.2f}x"
            if admin and r.user != "admin"
            else ""
        )
        q = (
            f"{min(r.queries)}"
            if min(r.queries) == max(r.queries)
            else f"{min(r.queries)}–{max(r.queries)}"
        )
        lines.append(
            f"| {r.user} | {'list page' if r.endpoint == 'ui' else 'API'} | {r.case} | {r.depth} | "
            f"{r.rows} | {fmt(r.median)} | {fmt(r.p95)} | {fmt(r.cpu_median)} | {q} | "
            f"{fmt(r.db_median)} | "
            f"{fmt(r.data_db_median)} | {fmt(r.hand_median)} | "
            f"{r.db_median / r.hand_median:.2f}x | {r.data_db_median / r.hand_median:.2f}x | "
            f"{vs_admin} |"
        )
    lines += ["", "## Goals", ""]
    p95_miss = [r for r in results if r.p95 >= GOAL_P95_MS]
    db_miss = [r for r in results if r.db_median / r.hand_median > GOAL_DB_RATIO]
    data_miss = [r for r in results if r.data_db_median / r.hand_median > GOAL_DB_RATIO]
    restricted_miss = []
    for r in results:
        admin = by_key.get(("admin", r.endpoint, r.case))
        if r.user == "branch" and admin and r.median / admin.median > GOAL_RESTRICTED_RATIO:
            restricted_miss.append((r, r.median / admin.median))
    depth_miss = []
    for scope in scopes:
        for endpoint in ("ui", "api"):
            first = by_key.get((scope.key, endpoint, "first"))
            deep = by_key.get((scope.key, endpoint, "deep"))
            if first and deep and set(first.queries) != set(deep.queries):
                depth_miss.append((scope.key, endpoint, first.queries[0], deep.queries[0]))
    unstable = [r for r in results if min(r.queries) != max(r.queries)]

    def names(rs):
        return ", ".join(f"{r.user}/{r.endpoint}/{r.case}" for r in rs)

    def verdict(missed, detail: str, total: int = len(results)) -> str:
        return "**met**." if not missed else f"**missed** ({len(missed)} of {total}): {detail}."

    compared = [
        r for r in results if r.user == "branch" and ("admin", r.endpoint, r.case) in by_key
    ]
    p95_detail = ", ".join(f"{r.user}/{r.endpoint}/{r.case} {fmt(r.p95)} ms" for r in p95_miss)
    restricted_detail = ", ".join(f"{r.endpoint}/{r.case} {x:.2f}x" for r, x in restricted_miss)
    depth_detail = ", ".join(f"{u}/{e} first {a} vs deep {b}" for u, e, a, b in depth_miss)
    lines += [
        f"- p95 < {GOAL_P95_MS} ms: {verdict(p95_miss, p95_detail)}",
        f"- ORM / hand-written DB time ≤ {GOAL_DB_RATIO}x, all queries of the request: "
        + verdict(db_miss, names(db_miss)),
        f"- ORM / hand-written DB time ≤ {GOAL_DB_RATIO}x, customer queries only: "
        + verdict(data_miss, names(data_miss)),
        f"- Subtree-restricted vs unrestricted admin ≤ {GOAL_RESTRICTED_RATIO}x (median wall): "
        + (
            verdict(restricted_miss, restricted_detail, len(compared))
            + " CPU+DB ratios (insensitive to other load): "
            + ", ".join(
                f"{r.endpoint}/{r.case} {r.work / by_key[('admin', r.endpoint, r.case)].work:.2f}x"
                for r in compared
            )
            + "."
            if compared
            else "not measured (run both admin and branch)."
        ),
        "- Constant query count per request regardless of page depth: "
        + verdict(depth_miss, depth_detail)
        + (f" Query count varies between requests in {names(unstable)}." if unstable else ""),
    ]
    lines += [
        "",
        "## Plans of the page query",
        "",
        "EXPLAIN (ANALYZE, BUFFERS) of the ORM's page query (as captured) and of the "
        "hand-written page query, server-side times in ms.",
        "",
        "| User | Endpoint | Case | ORM plan | ORM plan+exec | Hand plan | Hand plan+exec |",
        "|---|---|---|---|---:|---|---:|",
    ]
    for r in results:
        o, h = r.orm_plan or {}, r.hand_plan or {}

        def t(p):
            if not p:
                return ""
            return f"{p['planning_ms']:.2f}+{p['execution_ms']:.2f}" + (" JIT" if p["jit"] else "")

        lines.append(
            f"| {r.user} | {r.endpoint} | {r.case} | {o.get('plan', '')} | {t(o)} | "
            f"{h.get('plan', '')} | {t(h)} |"
        )
    lines += ["", "## The queries of one request (first page)", ""]
    for r in results:
        if r.case != "first":
            continue
        lines += [f"**{r.user} / {r.endpoint}** ({len(r.sample_queries)} queries):", "", "```"]
        for sql, t in r.sample_queries:
            short = re.sub(r"\s+", " ", sql)
            short = short if len(short) <= 150 else short[:147] + "..."
            lines.append(f"{t * 1000:6.2f} ms  {short}")
        lines += ["```", ""]
    return "\n".join(lines) + "\n"


def environment(pg) -> dict:
    import django
    import psycopg

    size, idx_size, idx_count = pg.execute(
        "SELECT pg_size_pretty(pg_total_relation_size('customers_customer')), "
        "pg_size_pretty(pg_indexes_size('customers_customer')), "
        "(SELECT count(*) FROM pg_indexes WHERE tablename = 'customers_customer')"
    ).fetchone()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
        "settings": server_settings(pg),
        "table_size": size,
        "index_size": idx_size,
        "index_count": idx_count,
        "mem_gib": round(mem),
    }


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    load_start = loadavg()
    name = database_name(args.database_url)
    if ensure_database(args.database_url, name):
        log(f"created database {name}")
    setup_django(args.database_url)

    import psycopg
    from django.core.management import call_command

    log("migrating")
    call_command("migrate", verbosity=0, interactive=False)
    pg = psycopg.connect(
        conninfo(args.database_url),
        autocommit=True,
        cursor_factory=psycopg.ClientCursor,  # Django's default: client-side parameter binding
        prepare_threshold=None,
    )
    timings = {}
    if args.regenerate or not data_is_current(pg, args.rows, args.seed):
        log(f"generating {args.rows:,} customers")
        timings = generate(pg, args.rows, args.seed)
        log("generated: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    else:
        log("data present, not regenerating")
    scopes = build_scopes(pg)
    if args.only:
        wanted = set(args.only.split(","))
        scopes = [s for s in scopes if s.key in wanted]
    facts = scope_facts(pg, scopes)
    results = run(args, pg, scopes)
    env = environment(pg) | {"load_start": load_start, "load_end": loadavg()}
    text = report(args, pg, results, scopes, facts, timings, started, env)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    raw = [
        {k: v for k, v in r.__dict__.items() if k != "sample_queries"}
        | {"median": r.median, "p95": r.p95}
        for r in results
    ]
    args.out.with_suffix(".json").write_text(
        json.dumps({"rows": args.rows, "env": env, "facts": facts, "results": raw}, indent=1)
    )
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
