"""Benchmark: importing 100,000 customer rows (10 % broken) through Kehu and django-import-export.

Run from the repository root (django-import-export comes with the ``bench`` extra)::

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/import.py --rows 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_import

What it does:

1. Generates ``bench/out/import-<rows>.csv`` (seeded, reproducible): customers with a number,
   name, kind, credit rating (dictionary code), credit limit, phone, e-mail, city, address,
   registration date and notes. 10 % of the rows are broken, in eight kinds spread evenly: no
   name, a bad phone, a bad e-mail, an impossible date, a negative credit limit, an unknown
   credit-rating code, a name over 200 characters, and the number of a row at least 2,000 rows
   earlier (an in-file duplicate).
2. Imports the file, each run in a fresh subprocess on a fresh database (SQLite in a temporary
   data directory; the PostgreSQL database in ``--database-url`` is dropped and recreated, its
   name must contain ``bench``), as a sales manager:
   * **kehu**: ``kehu.core.imports`` with the customer importer (mode "skip", per-row validation
     as the form, mnemonic codes, duplicate check, audit records with one batch ID, error report);
   * **iex-default**: django-import-export 4.x ``ModelResource`` for ``Customer`` with its
     defaults plus ``clean_model_instances = True`` (so it validates too) and
     ``import_id_fields = ["number"]``; owner and department set in
     ``init_instance``, the mnemonic in ``before_save_instance``;
   * **iex-bulk**: the same resource with ``use_bulk = True`` (batches of 1,000).
3. Reports wall time of the import call, rows/s, peak RSS of the subprocess (``ru_maxrss``) and
   its RSS before the import, and what each engine saved and reported. Markdown to stdout and
   ``bench/out/import.md``; raw figures in ``bench/out/import.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HEADER = [
    "客户编号",
    "客户名称",
    "客户类别",
    "信用等级",
    "信用额度",
    "电话",
    "邮箱",
    "城市",
    "地址",
    "登记日期",
    "备注",
]
CITIES = ["上海", "北京", "深圳", "广州", "杭州", "成都", "南京", "武汉", "苏州", "天津"]
WORDS = [
    "华为",
    "中兴",
    "联想",
    "海尔",
    "美的",
    "格力",
    "腾讯",
    "阿里",
    "百度",
    "京东",
    "小米",
    "比亚迪",
    "宁德",
    "恒瑞",
    "万科",
    "碧桂园",
    "顺丰",
    "申通",
    "圆通",
    "中通",
]
SUFFIX = [
    "科技有限公司",
    "贸易有限公司",
    "实业有限公司",
    "电子有限公司",
    "集团股份有限公司",
    "商行",
]
RATINGS = ["AAA", "AA", "A", "B", "C"]
BROKEN_KINDS = ["no_name", "phone", "email", "date", "credit", "rating", "long_name", "duplicate"]


def generate(path: Path, rows: int, seed: int = 20261123) -> dict[str, int]:
    rnd = random.Random(seed)
    kinds: dict[str, int] = {}
    start = date(2015, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(rows):
            city = CITIES[i % len(CITIES)]
            row = [
                f"IMP{i:07d}",
                f"{city}{rnd.choice(WORDS)}{rnd.choice(WORDS)}{SUFFIX[i % len(SUFFIX)]}{i}",
                "公司" if i % 7 else "个人",
                rnd.choice(RATINGS),
                str(rnd.randrange(0, 500) * 1000),
                f"0{rnd.randrange(10, 999)}-{rnd.randrange(10_000_000, 99_999_999)}",
                f"info{i}@example{rnd.randrange(100)}.com",
                city,
                f"{city}市某某路{rnd.randrange(1, 999)}号",
                (start + timedelta(days=rnd.randrange(3650))).isoformat(),
                "导入测试" if i % 3 == 0 else "",
            ]
            if i % 10 == 5 and i >= 2000:  # 10 % broken, evenly over the kinds
                kind = BROKEN_KINDS[(i // 10) % len(BROKEN_KINDS)]
                kinds[kind] = kinds.get(kind, 0) + 1
                if kind == "no_name":
                    row[1] = ""
                elif kind == "phone":
                    row[5] = "电话12-ab"
                elif kind == "email":
                    row[6] = "info@"
                elif kind == "date":
                    row[9] = "2023-02-30"
                elif kind == "credit":
                    row[4] = "-100"
                elif kind == "rating":
                    row[3] = "ZZ"
                elif kind == "long_name":
                    row[1] = "长" * 250
                else:
                    row[0] = f"IMP{i - 2000 - rnd.randrange(1000):07d}"
            w.writerow(row)
    return kinds


# --- Worker (one engine, one database, in its own process) -----------------------------------


def setup_django(db: str, database_url: str) -> None:
    if db == "postgresql":
        import psycopg

        name = database_url.rsplit("/", 1)[1]
        assert "bench" in name, "the benchmark database name must contain 'bench'"
        admin = database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["KEHU_DATA_DIR"] = tempfile.mkdtemp(prefix="kehu-bench-import-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    sys.path.insert(0, str(ROOT))
    import django

    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()  # the data directory and its secret key, as `kehu` makes them
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_user():
    from kehu.system.actions import create_department, create_employee, ensure_default_roles
    from kehu.system.params import ensure_dictionaries

    ensure_dictionaries()
    roles = ensure_default_roles()
    hq = create_department(name="总部", code="HQ")
    team = create_department(name="销售一部", code="A1", parent=hq)
    return create_employee(
        username="importer", password=None, department=team, roles=[roles["sales_manager"]]
    )


def run_kehu(path: Path, user) -> dict:
    from django.core.files import File

    from kehu.core import imports
    from kehu.core.context import acting_as

    with acting_as(user), path.open("rb") as fh:
        t0 = time.perf_counter()
        run = imports.create_run(
            user=user, label="customers.customer", upload=File(fh, name=path.name), mode="skip"
        )
        imports.set_mapping(run=run, mapping=run.mapping, mode="skip")
        run = imports.run_import(run)
        elapsed = time.perf_counter() - t0
    return {
        "seconds": elapsed,
        "created": run.created,
        "errors": run.errors,
        "duplicates": run.duplicates,
        "skipped": run.skipped,
        "report_rows": run.errors + run.duplicates,
        "mapping": run.mapping,
    }


def run_iex(path: Path, user, bulk: bool) -> dict:
    import tablib
    from import_export import fields, resources

    from kehu.core.context import acting_as
    from kehu.customers.actions import mnemonic_for
    from kehu.customers.models import Customer

    columns = {
        "number": "客户编号",
        "name": "客户名称",
        "kind": "客户类别",
        "credit_rating": "信用等级",
        "credit_limit": "信用额度",
        "phone": "电话",
        "email": "邮箱",
        "city": "城市",
        "address": "地址",
        "registered_on": "登记日期",
        "notes": "备注",
    }

    class CustomerResource(resources.ModelResource):
        kind = fields.Field(attribute="kind", column_name="客户类别")

        class Meta:
            model = Customer
            fields = tuple(columns)
            import_id_fields = ("number",)
            clean_model_instances = True
            use_bulk = bulk
            batch_size = 1000

        def __init__(self):
            super().__init__()
            for name, header in columns.items():
                self.fields[name].column_name = header

        def before_import_row(self, row, **kwargs):
            row["客户类别"] = "individual" if row.get("客户类别") == "个人" else "company"

        def init_instance(self, row=None):
            return Customer(owner=user, department_id=user.department_id)

        def before_save_instance(self, instance, row, **kwargs):
            instance.mnemonic = instance.mnemonic or mnemonic_for(instance.name)

    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv")
    with acting_as(user):
        t0 = time.perf_counter()
        result = CustomerResource().import_data(dataset, dry_run=False, raise_errors=False)
        elapsed = time.perf_counter() - t0
    totals = dict(result.totals)
    return {
        "seconds": elapsed,
        "created": Customer.objects.count(),
        "errors": len(result.invalid_rows) + len(result.row_errors()),
        "row_errors_reported": len(result.row_errors()),
        "invalid_rows_reported": len(result.invalid_rows),
        "base_errors": [str(e.error)[:200] for e in result.base_errors[:3]],
        "first_invalid": [str(r.error_dict)[:300] for r in result.invalid_rows[:2]],
        "totals": dict(totals.items()),
    }


def worker(engine: str, db: str, path: Path, database_url: str) -> None:
    setup_django(db, database_url)
    user = make_user()
    from kehu.core.models import AuditLog

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = ru.ru_utime + ru.ru_stime
    if engine == "kehu":
        out = run_kehu(path, user)
    else:
        out = run_iex(path, user, bulk=engine == "iex-bulk")
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_seconds"] = ru.ru_utime + ru.ru_stime - cpu_before
    out["audit_rows"] = AuditLog.objects.filter(content_type__model="customer").count()
    out["rss_before_mb"] = rss_before / 1024
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out, default=str))


# --- Driver -----------------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/kehu_bench_import")
    p.add_argument("--engines", default="kehu,iex-bulk,iex-default")
    p.add_argument(
        "--iex-rows",
        type=int,
        default=0,
        help="give django-import-export only the first N rows of the file (its default mode "
        "needs 7 to 30 minutes per 100,000 rows here); its rows/s is per row it was given",
    )
    p.add_argument("--databases", default="sqlite,postgresql")
    p.add_argument("--worker", nargs=3, metavar=("ENGINE", "DB", "FILE"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        engine, db, file = args.worker
        worker(engine, db, Path(file), args.database_url)
        return

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"import-{args.rows}.csv"
    kinds = generate(path, args.rows)
    broken = sum(kinds.values())
    iex_path = path
    if args.iex_rows and args.iex_rows < args.rows:
        iex_path = OUT / f"import-{args.rows}-first-{args.iex_rows}.csv"
        with path.open(encoding="utf-8") as src, iex_path.open("w", encoding="utf-8") as dst:
            for n, line in enumerate(src):
                if n > args.iex_rows:
                    break
                dst.write(line)
    print(
        f"generated {path} ({path.stat().st_size / 2**20:.1f} MB): {args.rows:,} rows, "
        f"{broken:,} broken: {kinds}",
        flush=True,
    )
    results = []
    for db in args.databases.split(","):
        for engine in args.engines.split(","):
            file = path if engine == "kehu" else iex_path
            rows = args.rows if file == path else args.iex_rows
            cmd = [
                sys.executable,
                __file__,
                "--database-url",
                args.database_url,
                "--worker",
                engine,
                db,
                str(file),
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if line is None:
                print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{engine} on {db} failed")
            res = json.loads(line[7:]) | {"engine": engine, "database": db, "rows": rows}
            res["rows_per_s"] = rows / res["seconds"]
            res["rows_per_cpu_s"] = rows / res["cpu_seconds"]
            results.append(res)
            print(
                f"{db:10} {engine:12} {rows:7} rows {res['seconds']:8.1f} s "
                f"{res['rows_per_s']:8.0f} rows/s {res['rows_per_cpu_s']:8.0f} rows/CPU-s "
                f"peak RSS {res['peak_rss_mb']:.0f} MB  saved {res['created']:,}  "
                f"errors {res['errors']:,}",
                flush=True,
            )

    lines = [
        f"rows: {args.rows:,} ({broken:,} broken: "
        + ", ".join(f"{k} {v}" for k, v in kinds.items())
        + ")",
        "",
        "| database | engine | rows given | seconds | rows/s | rows per CPU-second (client) "
        "| vs iex default (rows/s) | peak RSS (before) | customers saved | rows reported as bad "
        "| audit rows |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        base = next(
            (x for x in results if x["database"] == r["database"] and x["engine"] == "iex-default"),
            None,
        )
        ratio = f"{r['rows_per_s'] / base['rows_per_s']:.1f}x" if base else "—"
        lines.append(
            f"| {r['database']} | {r['engine']} | {r['rows']:,} | {r['seconds']:.1f} | "
            f"{r['rows_per_s']:,.0f} | {r['rows_per_cpu_s']:,.0f} | "
            f"{ratio} | {r['peak_rss_mb']:.0f} MB ({r['rss_before_mb']:.0f} MB) | "
            f"{r['created']:,} | {r['errors'] + r.get('duplicates', 0):,} | {r['audit_rows']:,} |"
        )
    report = "\n".join(lines)
    print(report)
    (OUT / "import.md").write_text(report + "\n")
    (OUT / "import.json").write_text(json.dumps({"kinds": kinds, "results": results}, indent=2))


if __name__ == "__main__":
    main()
