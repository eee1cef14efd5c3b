"""Duplicates in any CSV of people or companies (``kehu dedupe FILE``), and the evaluation of
the matcher on labelled data (``--truth COLUMN``).

No database: the file's rows become profiles (``kehu.customers.matching``), the blocking
passes give the candidate pairs, the Fellegi–Sunter model (``kehu.customers.linkage``) is
fitted on the file itself by EM and scores every pair. The same code runs the CRM's scan.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import linkage
from . import matching as mt

#: field → the column names (case-insensitive, spaces/underscores/dashes ignored) it is read from
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "fullname", "姓名", "名称", "客户名称", "联系人", "客户"),
    "company": (
        "company",
        "company name",
        "organisation",
        "organization",
        "site name",
        "公司",
        "公司名称",
        "单位名称",
        "单位",
        "企业名称",
    ),
    "given_name": ("given name", "given_name", "first name", "firstname", "forename", "名"),
    "surname": ("surname", "last name", "lastname", "family name", "姓"),
    "date_of_birth": (
        "date of birth",
        "dob",
        "birthday",
        "birth date",
        "birthdate",
        "生日",
        "出生日期",
    ),
    "phone": (
        "phone",
        "phone number",
        "telephone",
        "tel",
        "mobile",
        "cell",
        "soc sec id",
        "电话",
        "手机",
        "手机号",
        "联系电话",
    ),
    "email": ("email", "e-mail", "mail", "email address", "邮箱", "电子邮件", "电子邮箱"),
    "street_number": ("street number", "street no", "house number", "门牌号"),
    "address_1": ("address 1", "address1", "address line 1", "street"),
    "address_2": ("address 2", "address2", "address line 2"),
    "address": ("address", "地址", "办公地址", "公司地址", "住址"),
    "city": ("city", "suburb", "town", "locality", "城市", "所在城市"),
    "postcode": ("postcode", "zip", "zip code", "postal code", "邮编", "邮政编码"),
    "state": ("state", "province", "region", "省", "省份"),
}
FIELDS = tuple(ALIASES)
#: The cut-off: the fitted model's posterior probability that a pair is one record (u from
#: random pairs of the file, λ the share of true pairs among all pairs). Not tuned per file.
LINK_THRESHOLD = 0.5
ID_COLUMNS = ("id", "rec_id", "record id", "编号", "客户编号")
#: identity numbers are never compared (the point is to find people without them)
NEVER = ("soc_sec_id", "ssn", "身份证", "身份证号")


def _norm(header: str) -> str:
    return " ".join(header.strip().lower().replace("_", " ").replace("-", " ").split())


def guess_columns(headers: list[str]) -> dict[str, str]:
    """{column: field} for the columns recognised by name."""
    lookup = {_norm(a): f for f, names in ALIASES.items() for a in names}
    out: dict[str, str] = {}
    taken: set[str] = set()
    for h in headers:
        f = lookup.get(_norm(h))
        if f and f not in taken and _norm(h) not in (_norm(n) for n in NEVER):
            out[h] = f
            taken.add(f)
    return out


@dataclass
class Result:
    ids: list[str]
    pairs: list[tuple[int, int, mt.Score]]  # index pairs at or above the threshold
    clusters: list[list[int]]
    threshold: float
    compared: int
    model: linkage.Model
    columns: dict[str, str]
    kind: str
    truth: list[str] | None = None
    metrics: dict = field(default_factory=dict)
    all_scores: dict[tuple[int, int], float] = field(default_factory=dict)


def _clusters(n: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    return [g for g in groups.values() if len(g) > 1]


def link(
    profiles: list[mt.Profile], *, threshold: float | None = None, fit: bool = True
) -> tuple[list[tuple[int, int, mt.Score]], dict[tuple[int, int], float], linkage.Model, int]:
    """Block, fit the model on the data (EM), score: (pairs at or above the threshold, every
    blocked pair's score, the model, how many pairs were compared)."""
    threshold = LINK_THRESHOLD if threshold is None else threshold
    candidates = sorted(mt.candidate_pairs(profiles))
    model = (
        linkage.fit(
            profiles, (linkage.compare_vector(profiles[i], profiles[j]) for i, j in candidates)
        )
        if fit
        else linkage.Model.prior()
    )
    found, scores = [], {}
    for i, j in candidates:
        s = mt.compare(profiles[i], profiles[j], model)
        scores[(i, j)] = s.total
        if s.total >= threshold:
            found.append((i, j, s))
    return found, scores, model, len(candidates)


def run_rows(
    headers: list[str],
    rows: list[list[str]],
    *,
    id_column: str | None = None,
    truth: str | None = None,
    mapping: dict[str, str] | None = None,
    ignore: Iterable[str] = (),
    threshold: float | None = None,
    kind: str | None = None,
) -> Result:
    """Find the duplicates among ``rows``; with ``truth`` (the column of the true entity id)
    also precision, recall, F1 and blocking recall."""
    if id_column is None:  # a column named like an id is the id, never compared
        id_column = next((h for h in headers if _norm(h) in {_norm(c) for c in ID_COLUMNS}), None)
    ignore = set(ignore) | {c for c in (id_column, truth) if c}
    columns = {h: f for h, f in guess_columns(headers).items() if h not in ignore}
    for column, f in (mapping or {}).items():
        if column not in headers:
            raise ValueError(f"no column {column!r} in the file")
        if f not in FIELDS:
            raise ValueError(f"unknown field {f!r} (one of {', '.join(FIELDS)})")
        columns = {h: g for h, g in columns.items() if g != f}
        columns[column] = f
    if id_column and id_column not in headers:
        raise ValueError(f"no column {id_column!r} in the file")
    if truth and truth not in headers:
        raise ValueError(f"no column {truth!r} in the file")
    fields = set(columns.values())
    if kind is None:
        persons = {"given_name", "surname", "date_of_birth"} & fields
        kind = mt.COMPANY if "company" in fields and not persons else mt.INDIVIDUAL
    index = {h: k for k, h in enumerate(headers)}
    ids, labels, profiles = [], [], []
    for n, row in enumerate(rows):
        padded = row + [""] * (len(headers) - len(row))
        values = {f: padded[index[h]] for h, f in columns.items()}
        if kind == mt.COMPANY and values.get("company"):
            values["name"] = values.pop("company")
        ids.append(padded[index[id_column]] if id_column else str(n + 1))
        if truth:
            labels.append(padded[index[truth]])
        profiles.append(mt.make_profile(values, kind=kind, id=n))
    found, scores, model, compared = link(profiles, threshold=threshold)
    used = LINK_THRESHOLD if threshold is None else threshold
    result = Result(
        ids=ids,
        pairs=found,
        clusters=_clusters(len(ids), ((i, j) for i, j, _s in found)),
        threshold=used,
        compared=compared,
        model=model,
        columns=columns,
        kind=kind,
        truth=labels or None,
        all_scores=scores,
    )
    if truth:
        result.metrics = evaluate(labels, scores, used)
    return result


def run_file(fh, **kwargs) -> Result:
    text = fh.read()
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    text = text.lstrip("\ufeff")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers = [h.strip() for h in next(reader, [])]
    rows = [row for row in reader if any(c.strip() for c in row)]
    return run_rows(headers, rows, **kwargs)


def evaluate(labels: list[str], scores: dict[tuple[int, int], float], threshold: float) -> dict:
    """Pairwise precision, recall and F1 at the threshold and at the best threshold, and the
    share of true pairs the blocking compared at all."""
    groups: dict[str, list[int]] = defaultdict(list)
    for k, label in enumerate(labels):
        if label != "":
            groups[label].append(k)
    true = {(i, j) for g in groups.values() for x, i in enumerate(g) for j in g[x + 1 :]}

    def at(t: float) -> tuple[float, float, float, int]:
        predicted = {pq for pq, s in scores.items() if s >= t}
        tp = len(predicted & true)
        p = tp / len(predicted) if predicted else 1.0
        r = tp / len(true) if true else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0), len(predicted)

    p, r, f1, n = at(threshold)
    curve = {round(t, 2): at(t) for t in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)}
    best = max(curve.items(), key=lambda kv: kv[1][2])
    blocked = len(true & scores.keys()) / len(true) if true else 1.0
    return {
        "records": len(labels),
        "true_pairs": len(true),
        "compared_pairs": len(scores),
        "predicted_pairs": n,
        "threshold": threshold,
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "blocking_recall": round(blocked, 4),
        "best_threshold": best[0],
        "best_f1": round(best[1][2], 4),
        "curve": {
            t: {"precision": round(v[0], 4), "recall": round(v[1], 4), "f1": round(v[2], 4)}
            for t, v in curve.items()
        },
    }


def as_json(result: Result) -> dict:
    return {
        "pairs": [
            {
                "a": result.ids[i],
                "b": result.ids[j],
                "score": s.total,
                "fields": {
                    f: {**c, "weight": s.weights.get(f, 0.0)} for f, c in s.components.items()
                },
            }
            for i, j, s in result.pairs
        ],
        "clusters": [[result.ids[k] for k in c] for c in result.clusters],
        **({"metrics": result.metrics} if result.metrics else {}),
    }


def report_lines(result: Result) -> list[str]:
    lines = [
        f"columns: {', '.join(f'{c}→{f}' for c, f in result.columns.items())} ({result.kind})",
        f"compared pairs: {result.compared:,}; model: {result.model.fitted}, "
        f"λ {result.model.lam:.4f}",
        f"threshold {result.threshold:.2f}: {len(result.pairs):,} pairs, "
        f"{len(result.clusters):,} clusters",
    ]
    m = result.metrics
    if m:
        lines += [
            f"true pairs {m['true_pairs']:,}; blocking recall {m['blocking_recall']:.4f}",
            f"precision {m['precision']:.4f}  recall {m['recall']:.4f}  F1 {m['f1']:.4f}",
            f"best threshold {m['best_threshold']}: F1 {m['best_f1']:.4f}",
            "  "
            + "; ".join(
                f"{t}: P {v['precision']:.3f} R {v['recall']:.3f} F1 {v['f1']:.3f}"
                for t, v in m["curve"].items()
            ),
        ]
    return lines
