"""``kehu analytics WHAT``: the analytics library on plain CSV files.

``clv`` fits BG/NBD and Gamma-Gamma to a transactions file (customer, date, amount columns) or a
summary file (id, frequency, recency, age, spend) and prints the fitted parameters and the
customers by lifetime value; ``dedupe`` is ``kehu dedupe`` (the customers module's matcher).
Every subcommand prints a table, or with ``--json`` only JSON on standard output.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from kehu.analytics.cli import as_json, purchase_rows, read_csv, run_clv
from kehu.analytics.clv import ModelFitError
from kehu.analytics.rfm import SEGMENTS, abc_sql, load_purchases, rfm_sql
from kehu.analytics.summary import UNITS, SummaryError


def _money(row) -> float:
    return float(round(row.monetary, 2))


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--end takes a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = "Customer analytics on CSV files: clv (BG/NBD + Gamma-Gamma), rfm, abc, rules, churn, dedupe."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="what",
            required=True,
            metavar="{clv,rfm,abc,rules,sequences,churn,cluster,sample-size,kano,acsi,refresh,dedupe}",
        )
        clv = sub.add_parser(
            "clv",
            help="lifetime value, expected purchases and P(alive) per customer",
            description="Fit BG/NBD (purchases) and Gamma-Gamma (spend) by maximum likelihood.",
        )
        src = clv.add_mutually_exclusive_group(required=True)
        src.add_argument("--transactions", type=Path, help="CSV: one row per purchase")
        src.add_argument("--summary", type=Path, help="CSV: one row per customer")
        clv.add_argument("--customer-column", default="customer")
        clv.add_argument("--date-column", default="date")
        clv.add_argument("--amount-column", default="amount", help="'' for counts only")
        clv.add_argument("--date-format", help="strptime format, e.g. %%Y%%m%%d (default ISO)")
        clv.add_argument("--end", type=_date, help="calibration end (default: last date)")
        clv.add_argument("--unit", choices=sorted(UNITS), default="weeks")
        clv.add_argument("--id-column", default="id")
        clv.add_argument("--frequency-column", default="frequency")
        clv.add_argument("--recency-column", default="recency")
        clv.add_argument("--age-column", default="T")
        clv.add_argument("--monetary-column", default="monetary_value")
        clv.add_argument("--horizon", type=float, default=52.0, help="in time units (52)")
        clv.add_argument("--periods", type=int, default=12, help="discounting periods (12)")
        clv.add_argument("--discount-rate", type=float, default=0.01, help="per period (0.01)")
        clv.add_argument("--margin", type=float, default=1.0, help="profit share of spend (1)")
        clv.add_argument("--top", type=int, default=20, help="customers shown in the table")
        clv.add_argument("--json", action="store_true", help="only JSON on standard output")
        for name, text in (
            ("rfm", "recency, frequency, monetary scores and segments per customer"),
            ("abc", "ABC (80/20) value tiers with the cumulative share"),
        ):
            p = sub.add_parser(name, help=text, description=text)
            p.add_argument("--transactions", type=Path, required=True, help="one row a purchase")
            p.add_argument("--customer-column", default="customer")
            p.add_argument("--date-column", default="date")
            p.add_argument("--amount-column", default="amount")
            p.add_argument("--date-format", help="strptime format (default ISO)")
            p.add_argument("--top", type=int, default=20, help="customers shown in the table")
            p.add_argument("--json", action="store_true", help="only JSON on standard output")
        rules = sub.add_parser(
            "rules",
            help="association rules (cross-sell) from baskets",
            description="Frequent itemsets and rules A → C with support, confidence and lift.",
        )
        src = rules.add_mutually_exclusive_group(required=True)
        src.add_argument("--baskets", type=Path, help="one basket a line, items comma-separated")
        src.add_argument("--lines", type=Path, help="CSV with a basket and an item column")
        rules.add_argument("--basket-column", default="basket")
        rules.add_argument("--item-column", default="item")
        rules.add_argument("--min-support", type=float, default=0.01, help="share of baskets")
        rules.add_argument("--min-confidence", type=float, default=0.3)
        rules.add_argument("--max-len", type=int, help="largest itemset (default: no limit)")
        rules.add_argument("--top", type=int, default=30, help="rules shown in the table")
        rules.add_argument("--json", action="store_true", help="only JSON on standard output")
        seq = sub.add_parser(
            "sequences",
            help="sequential patterns: what customers buy later, and how many days later",
            description="PrefixSpan over each customer's orders: rules ⟨A …⟩ → later B.",
        )
        seq.add_argument("--lines", type=Path, required=True, help="CSV: one row a product bought")
        seq.add_argument("--customer-column", default="customer")
        seq.add_argument("--date-column", default="date")
        seq.add_argument("--item-column", default="item")
        seq.add_argument("--date-format", help="strptime format, e.g. %%Y%%m%%d (default ISO)")
        seq.add_argument("--min-support", type=float, default=0.01, help="share of customers")
        seq.add_argument("--min-confidence", type=float, default=0.1)
        seq.add_argument("--max-length", type=int, default=3, help="steps in a pattern (3)")
        seq.add_argument("--top", type=int, default=30, help="rules shown in the table")
        seq.add_argument("--json", action="store_true", help="only JSON on standard output")
        churn = sub.add_parser(
            "churn",
            help="train and evaluate a churn model on any CSV",
            description="Logistic regression on the file's columns, evaluated on held-out rows.",
        )
        churn.add_argument("file", type=Path, help="CSV: one row a customer")
        churn.add_argument("--target", required=True, help="the column saying who churned")
        churn.add_argument("--id", dest="id_column", help="an id column, never a feature")
        churn.add_argument("--exclude", action="append", default=[], metavar="COLUMN")
        churn.add_argument("--holdout", type=float, default=0.25, help="share held out (0.25)")
        churn.add_argument("--seed", type=int, default=7)
        churn.add_argument("--json", action="store_true", help="only JSON on standard output")
        clu = sub.add_parser("cluster", help="need-based segments: k-means, k by silhouette")
        clu.add_argument("file", type=Path, help="CSV: one row a customer")
        clu.add_argument("--id", dest="id_column", help="an id column, never a feature")
        clu.add_argument("--features", help="comma-separated columns (default: every other)")
        clu.add_argument("--exclude", action="append", default=[], metavar="COLUMN")
        clu.add_argument("--k", type=int, help="the number of clusters (default: chosen)")
        clu.add_argument("--max-k", type=int, default=8)
        clu.add_argument("--json", action="store_true", help="only JSON on standard output")
        size = sub.add_parser("sample-size", help="respondents a survey needs (Cochran)")
        size.add_argument("--margin", type=float, required=True, help="e.g. 0.05 for ±5 %%")
        size.add_argument("--confidence", type=float, default=0.95)
        size.add_argument("--proportion", type=float, default=0.5)
        size.add_argument("--population", type=int, default=0, help="N, when known")
        size.add_argument("--json", action="store_true", help="only JSON on standard output")
        kano = sub.add_parser("kano", help="Kano categories from functional/dysfunctional answers")
        kano.add_argument("file", type=Path, help="CSV: one answer pair a row")
        kano.add_argument("--feature-column", default="feature")
        kano.add_argument("--functional-column", default="functional")
        kano.add_argument("--dysfunctional-column", default="dysfunctional")
        kano.add_argument("--json", action="store_true", help="only JSON on standard output")
        model = sub.add_parser("acsi", help="ACSI-style satisfaction index and drivers")
        model.add_argument("file", type=Path, help="CSV: one respondent a row")
        model.add_argument(
            "--block",
            action="append",
            required=True,
            metavar="CONSTRUCT=ITEM,ITEM",
            help="expectation, quality, value, satisfaction, complaints or loyalty and its items",
        )
        model.add_argument("--scale", default="1,10", help="lowest,highest answer (1,10)")
        model.add_argument("--json", action="store_true", help="only JSON on standard output")
        sub.add_parser(
            "refresh",
            help="recompute the CRM's stored customer value scores now (as the nightly job does)",
        )
        dedupe = sub.add_parser("dedupe", help="kehu dedupe: likely duplicates in a CSV")
        dedupe.add_argument("rest", nargs="...", help="the arguments of kehu dedupe")

    def handle(self, *args, **opts):
        if opts["what"] == "dedupe":
            return call_command("dedupe", *opts["rest"], stdout=self.stdout)
        if opts["what"] == "refresh":
            from kehu.analytics.refresh import refresh_customer_values

            self.stdout.write(f"{refresh_customer_values():,} customers scored")
            return
        if opts["what"] == "churn":
            return self._churn(opts)
        if opts["what"] == "cluster":
            from kehu.analytics.clusters import ClusterInputError

            try:
                return self._cluster(opts)
            except ClusterInputError as exc:
                raise CommandError(str(exc)) from None
        if opts["what"] in ("sample-size", "kano", "acsi"):
            from kehu.analytics.satisfaction import SatisfactionInputError

            try:
                return getattr(self, "_" + opts["what"].replace("-", "_"))(opts)
            except SatisfactionInputError as exc:
                raise CommandError(str(exc)) from None
        if opts["what"] == "rules":
            return self._rules(opts)
        if opts["what"] == "sequences":
            return self._sequences(opts)
        if opts["what"] in ("rfm", "abc"):
            return self._tiers(opts)
        return self._clv(opts)

    def _cluster(self, opts):
        from kehu.analytics.clusters import cluster

        rows = read_csv(opts["file"])
        if not rows:
            raise CommandError("the file has no rows")
        skip = {opts["id_column"], *opts["exclude"]}
        features = (
            [f.strip() for f in opts["features"].split(",")]
            if opts["features"]
            else [c for c in rows[0] if c not in skip]
        )
        missing = [f for f in features if f not in rows[0]]
        if missing:
            raise CommandError(f"no such columns: {', '.join(missing)}")
        if opts["k"] is not None and not 2 <= opts["k"] <= 50:
            raise CommandError("--k lies between 2 and 50")
        result = cluster(rows, features, k=opts["k"], max_k=opts["max_k"])
        ids = [
            r.get(opts["id_column"], str(i)) if opts["id_column"] else str(i)
            for i, r in enumerate(rows, 1)
        ]
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "k": result.k,
                        "silhouettes": result.silhouettes,
                        "clusters": [asdict(p) for p in result.profiles],
                        "assignments": dict(zip(ids, map(int, result.labels), strict=True)),
                    },
                    ensure_ascii=False,
                )
            )
            return
        scores = ", ".join(f"k={k}: {s:.3f}" for k, s in result.silhouettes.items())
        self.stdout.write(f"{result.k} clusters (mean silhouette {scores})")
        for p in result.profiles:
            traits = "; ".join(f"{f} {m:.4g} (all {a:.4g})" for f, m, a in p.distinctive)
            self.stdout.write(f"cluster {p.cluster}: {p.size:,} ({p.share:.0%}) — {traits}")

    def _sample_size(self, opts):
        from kehu.analytics.satisfaction import sample_size

        n = sample_size(
            margin=opts["margin"],
            confidence=opts["confidence"],
            proportion=opts["proportion"],
            population=opts["population"],
        )
        if opts["json"]:
            self.stdout.write(json.dumps({"sample_size": n}))
        else:
            self.stdout.write(f"{n:,} respondents")

    def _kano(self, opts):
        from kehu.analytics.satisfaction import kano

        rows = read_csv(opts["file"])
        cols = [opts[f"{c}_column"] for c in ("feature", "functional", "dysfunctional")]
        if rows and any(c not in rows[0] for c in cols):
            raise CommandError(f"the file needs the columns {', '.join(cols)}")
        by_feature: dict[str, list] = {}
        for row in rows:
            by_feature.setdefault(row[cols[0]], []).append((row[cols[1]], row[cols[2]]))
        results = [kano(f, pairs) for f, pairs in by_feature.items()]
        if opts["json"]:
            self.stdout.write(
                json.dumps({"features": [asdict(r) for r in results]}, ensure_ascii=False)
            )
            return
        self.stdout.write("feature\tcategory\tbetter\tworse\tA O M I R Q")
        for r in results:
            counts = " ".join(str(r.counts[c]) for c in "AOMIRQ")
            self.stdout.write(f"{r.feature}\t{r.category}\t{r.better:.2f}\t{r.worse:.2f}\t{counts}")

    def _acsi(self, opts):
        from kehu.analytics.satisfaction import acsi

        blocks = {}
        for spec in opts["block"]:
            name, _, items = spec.partition("=")
            if not items:
                raise CommandError(f"--block takes CONSTRUCT=ITEM,ITEM, not {spec!r}")
            blocks[name.strip()] = [i.strip() for i in items.split(",") if i.strip()]
        try:
            low, high = (float(x) for x in opts["scale"].split(","))
        except ValueError:
            raise CommandError("--scale takes LOWEST,HIGHEST, e.g. 1,10") from None
        result = acsi(read_csv(opts["file"]), blocks, scale=(low, high))
        if opts["json"]:
            self.stdout.write(json.dumps(asdict(result), ensure_ascii=False))
            return
        self.stdout.write(
            f"Satisfaction index {result.index:.1f} / 100 ({result.respondents:,} respondents)"
        )
        for target, drivers in result.paths.items():
            shown = ", ".join(f"{d} {b:+.2f}" for d, b in drivers.items())
            self.stdout.write(f"{target} <- {shown} (R² {result.r2[target]:.2f})")

    def _churn(self, opts):
        from kehu.analytics.churn import fit_churn

        if not 0 < opts["holdout"] < 1:
            raise CommandError("--holdout is a share of the rows, between 0 and 1")
        exclude = tuple(opts["exclude"]) + ((opts["id_column"],) if opts["id_column"] else ())
        try:
            rows = read_csv(opts["file"])
            report = fit_churn(
                rows,
                target=opts["target"],
                exclude=exclude,
                holdout=opts["holdout"],
                seed=opts["seed"],
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        numbers = {
            "rows": report.rows,
            "held_out": report.held_out,
            "churn_rate": report.churn_rate,
            "auc": report.auc,
            "precision": report.precision,
            "recall": report.recall,
            "top_decile_precision": report.top_decile_precision,
            "top_decile_recall": report.top_decile_recall,
            "brier": report.brier,
            "converged": report.model.converged,
        }
        if opts["json"]:
            data = {
                **numbers,
                "calibration": [
                    {"predicted": p, "observed": o, "rows": n} for p, o, n in report.calibration
                ],
                "strongest_features": [
                    {"feature": f, "coefficient": c} for f, c in report.strongest
                ],
            }
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        w = self.stdout.write
        w(
            f"Logistic regression on {report.rows:,} rows, {report.held_out:,} held out "
            f"(churn rate {report.churn_rate:.1%}){'' if report.model.converged else ' — NOT converged'}"
        )
        w(f"  held-out AUC {report.auc:.3f}   Brier {report.brier:.3f}")
        w(f"  at 0.5: precision {report.precision:.3f}  recall {report.recall:.3f}")
        w(
            f"  riskiest 10 %: precision {report.top_decile_precision:.3f}  "
            f"recall {report.top_decile_recall:.3f}"
        )
        w("")
        w("calibration (predicted → observed, rows):")
        for p, o, n in report.calibration:
            w(f"  {p:6.2f} → {o:5.2f}  {n:>6,}")
        w("")
        w("strongest features (+ pushes towards churn, on standardised values):")
        for name, coef in report.strongest:
            w(f"  {coef:+7.3f}  {name}")

    def _rules(self, opts):
        from kehu.analytics.cli import read_baskets
        from kehu.analytics.rules import rules_from_baskets

        try:
            baskets = read_baskets(
                baskets=opts["baskets"],
                lines=opts["lines"],
                basket_column=opts["basket_column"],
                item_column=opts["item_column"],
            )
            found = rules_from_baskets(
                baskets,
                min_support=opts["min_support"],
                min_confidence=opts["min_confidence"],
                max_len=opts["max_len"],
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if opts["json"]:
            data = [
                {**asdict(r), "conviction": None if r.conviction == float("inf") else r.conviction}
                for r in found
            ]
            self.stdout.write(
                json.dumps({"baskets": len(baskets), "rules": data}, ensure_ascii=False)
            )
            return
        self.stdout.write(f"{len(found):,} rules from {len(baskets):,} baskets")
        self.stdout.write("")
        self.stdout.write(
            f"{'antecedents':<30}{'consequents':<24}{'support':>9}{'confidence':>12}{'lift':>8}"
        )
        for r in found[: max(opts["top"], 0)]:
            self.stdout.write(
                f"{', '.join(r.antecedent)[:29]:<30}{', '.join(r.consequent)[:23]:<24}"
                f"{r.support:>9.4f}{r.confidence:>12.3f}{r.lift:>8.2f}"
            )

    def _sequences(self, opts):
        from kehu.analytics.cli import sequence_rows
        from kehu.analytics.sequences import customer_sequences, sequence_rules

        try:
            customers = customer_sequences(
                sequence_rows(
                    opts["lines"],
                    customer=opts["customer_column"],
                    date=opts["date_column"],
                    item=opts["item_column"],
                    date_format=opts["date_format"],
                )
            )
            found = sequence_rules(
                customers,
                min_support=opts["min_support"],
                min_confidence=opts["min_confidence"],
                max_length=opts["max_length"],
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if opts["json"]:
            data = {"customers": len(customers), "rules": [asdict(r) for r in found]}
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(f"{len(found):,} sequential rules from {len(customers):,} customers")
        self.stdout.write("")
        self.stdout.write(
            f"{'bought, in order':<32}{'later bought':<20}{'support':>9}{'confidence':>12}"
            f"{'lift':>8}{'days later':>12}"
        )
        for r in found[: max(opts["top"], 0)]:
            gap = "" if r.gap_days is None else f"{r.gap_days:.0f}"
            self.stdout.write(
                f"{' → '.join(r.antecedent)[:31]:<32}{r.consequent[:19]:<20}"
                f"{r.support:>9.4f}{r.confidence:>12.3f}{r.lift:>8.2f}{gap:>12}"
            )

    def _tiers(self, opts):
        try:
            rows = read_csv(opts["transactions"])
            conn = load_purchases(
                purchase_rows(
                    rows,
                    customer=opts["customer_column"],
                    date=opts["date_column"],
                    amount=opts["amount_column"],
                    date_format=opts["date_format"],
                )
            )
        except (OSError, SummaryError) as exc:
            raise CommandError(str(exc)) from exc
        source = "SELECT customer, day, amount FROM purchases"
        cursor = conn.cursor()
        if opts["what"] == "rfm":
            result = rfm_sql(cursor, source, ())
            result.sort(key=lambda row: (-(row.r * 100 + row.f * 10 + row.m), str(row.customer)))
            data = [
                {**asdict(row), "last_day": row.last_day.isoformat(), "monetary": _money(row)}
                for row in result
            ]
            head = f"{'customer':<16}{'last':>12}{'days':>6}{'F':>5}{'M':>14}  RFM  segment"
            lines = [
                f"{str(r.customer)[:15]:<16}{r.last_day.isoformat():>12}{r.recency_days:>6}"
                f"{r.frequency:>5}{_money(r):>14,.2f}  {r.r}{r.f}{r.m}  {r.segment}"
                for r in result
            ]
            counts = Counter(r.segment for r in result)
            summary = ", ".join(f"{name} {counts[name]:,}" for name, _ in SEGMENTS if counts[name])
        else:
            result = abc_sql(cursor, source, ())
            data = [{**asdict(row), "monetary": _money(row)} for row in result]
            head = f"{'customer':<16}{'amount':>14}{'share':>9}{'cumulative':>12}  tier"
            lines = [
                f"{str(r.customer)[:15]:<16}{_money(r):>14,.2f}{r.share:>9.2%}"
                f"{r.cumulative:>12.2%}  {r.tier}"
                for r in result
            ]
            counts = Counter(r.tier for r in result)
            total = sum(r.monetary for r in result) or 1
            summary = ", ".join(
                f"{tier} {counts[tier]:,} customers "
                f"({counts[tier] / len(result):.1%}, "
                f"{sum(r.monetary for r in result if r.tier == tier) / total:.1%} of the amount)"
                for tier in "ABC"
            )
        if opts["json"]:
            self.stdout.write(json.dumps({"customers": data}, ensure_ascii=False, default=str))
            return
        self.stdout.write(f"{len(result):,} customers: {summary}")
        self.stdout.write("")
        self.stdout.write(head)
        for line in lines[: max(opts["top"], 0)]:
            self.stdout.write(line)

    def _clv(self, opts):
        if opts["horizon"] <= 0 or opts["periods"] < 1 or opts["discount_rate"] <= -1:
            raise CommandError("--horizon > 0, --periods ≥ 1 and --discount-rate > -1 please")
        columns = {
            "customer": opts["customer_column"],
            "date": opts["date_column"],
            "amount": opts["amount_column"] or None,
            "id": opts["id_column"],
            "frequency": opts["frequency_column"],
            "recency": opts["recency_column"],
            "age": opts["age_column"],
            "monetary": opts["monetary_column"] or None,
        }
        try:
            result = run_clv(
                transactions=opts["transactions"],
                summary=opts["summary"],
                columns=columns,
                end=opts["end"],
                unit=opts["unit"],
                date_format=opts["date_format"],
                horizon=opts["horizon"],
                periods=opts["periods"],
                discount_rate=opts["discount_rate"],
                margin=opts["margin"],
            )
        except (OSError, SummaryError, ModelFitError) as exc:
            raise CommandError(str(exc)) from exc
        if opts["json"]:
            self.stdout.write(json.dumps(as_json(result), ensure_ascii=False))
            return
        self._table(result, opts)

    def _table(self, result, opts):
        m = result.model
        state = "converged" if m.converged else "NOT converged"
        self.stdout.write(
            f"BG/NBD on {m.customers:,} customers ({state}, log-likelihood {m.log_likelihood:,.2f})"
        )
        self.stdout.write(f"  r {m.r:.4f}  alpha {m.alpha:.4f}  a {m.a:.4f}  b {m.b:.4f}")
        s = result.spend
        if s is None:
            self.stdout.write("Gamma-Gamma: not fitted (no spend column or no repeat buyers)")
        else:
            self.stdout.write(
                f"Gamma-Gamma on {s.customers:,} repeat buyers: "
                f"p {s.p:.4f}  q {s.q:.4f}  v {s.v:.4f}" + "".join(f"  ({n})" for n in s.notes)
            )
        order = sorted(
            range(len(result.customers)),
            key=lambda i: -(result.value[i] if result.value is not None else result.expected[i]),
        )
        horizon = f"{result.horizon:g} {opts['unit']}"
        self.stdout.write("")
        self.stdout.write(
            f"{'customer':<16}{'x':>5}{'t_x':>9}{'T':>9}{'P(alive)':>10}"
            f"{'E[buys] ' + horizon:>22}{'CLV':>12}"
        )
        for i in order[: max(opts["top"], 0)]:
            p = result.customers[i]
            value = "—" if result.value is None else f"{result.value[i]:,.2f}"
            self.stdout.write(
                f"{p.customer[:15]:<16}{p.frequency:>5}{p.recency:>9.2f}{p.age:>9.2f}"
                f"{result.alive[i]:>10.3f}{result.expected[i]:>22.3f}{value:>12}"
            )
