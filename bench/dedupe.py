"""Duplicate detection on a labelled set: precision, recall, F1, time, blocking pair counts.

    .venv/bin/python bench/dedupe.py [--entities 32000] [--seed 7] [--threshold 0.80]

Generates true entities (companies and individuals), gives some of them corrupted copies
(the corruption model is documented in docs/benchmarks.md), runs the same pure functions the
scan uses (kehu.customers.matching), and compares the predicted pairs with the known clusters.
No database: this measures the matcher and the blocking, not the ORM.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")

from pypinyin import lazy_pinyin  # noqa: E402

from kehu.customers import matching  # noqa: E402

CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "成都",
    "重庆",
    "武汉",
    "西安",
    "苏州",
    "天津",
    "长沙",
    "青岛",
    "厦门",
    "宁波",
    "郑州",
    "济南",
]
CHARS = (
    "华恒信达通鑫源盛泰宏远博创星辰瑞安和新天海光明润德嘉丰永兴隆金银中国东方南北万家合众志诚"
    "宇航飞腾龙凤祥云山水林森春秋正大伟业立邦美佳康宁福寿福利智慧聚力同心奥维联科讯捷迅锐英"
    "豪杰俊彦清华晨曦朝阳旭日长城黄河长江昆仑泰山峰岭川原田野松柏梅兰竹菊青蓝紫红绿橙彩虹"
    "铭晟昊昱晖煌灿烨炜琦璋瑜璞琳琅珂玮璟骏驰腾跃凯旋胜利凌霄展鹏程万里锦绣河图洛书乾坤"
)
CHARS = "".join(dict.fromkeys(CHARS))
DESCRIPTORS = [
    "科技",
    "技术",
    "电子",
    "机械",
    "贸易",
    "物流",
    "医药",
    "食品",
    "建材",
    "软件",
    "网络",
    "咨询",
    "实业",
    "能源",
    "化工",
]
LEGAL = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红玉萍文辉鹏飞斌波宇浩凯健俊帆帅旭宁龙林欣悦琪佳瑶婷雪慧颖晨曦琳璐瑞阳博文轩睿思源子涵梓萱雨桐可馨"
DISTRICTS = [
    "朝阳",
    "海淀",
    "浦东新",
    "徐汇",
    "天河",
    "南山",
    "西湖",
    "鼓楼",
    "武侯",
    "江汉",
    "雁塔",
    "姑苏",
]
STREETS = [
    "中山",
    "人民",
    "解放",
    "建设",
    "和平",
    "胜利",
    "新华",
    "文化",
    "长江",
    "黄河",
    "科技",
    "创业",
]
STREET_KIND = ["路", "大道", "街", "大街"]
CN_NUM = "零一二三四五六七八九"


def corruption_model() -> dict:
    """Probabilities, per duplicate copy (each rule drawn independently)."""
    return {
        "cluster_size": {1: 0.55, 2: 0.30, 3: 0.10, 4: 0.05},
        "company_share": 0.6,
        "traditional": 0.25,
        "typo_homophone": 0.15,
        "typo_random_char": 0.05,
        "transposed_person": 0.15,
        "pinyin_name": 0.08,
        "region_variant_company": 0.5,  # leading / (bracketed) / trailing / 市 / dropped
        "legal_form_change": 0.5,
        "descriptor_dropped": 0.2,
        "fullwidth": 0.1,
        "phone_format": 0.7,  # +86, 0086, spaces, dashes; landline without area code
        "phone_dropped": 0.2,
        "email_case": 0.4,
        "email_dropped": 0.3,
        "address_variant": 0.6,  # province/city/district dropped, 大道→路, 五号 for 5号
        "address_dropped": 0.2,
    }


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        import opencc

        self.s2t = opencc.OpenCC("s2t")
        self.homophones: dict[str, list[str]] = defaultdict(list)
        for ch in CHARS + GIVEN:
            self.homophones[lazy_pinyin(ch)[0]].append(ch)
        self.phones: set[str] = set()

    def unique_phone(self, mobile: bool) -> str:
        while True:
            n = (
                f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"
                if mobile
                else f"0{self.rng.choice(['10', '21', '20', '755', '571', '25'])}"
                f"{self.rng.randrange(2 * 10**7, 9 * 10**7)}"
            )
            if n not in self.phones:
                self.phones.add(n)
                return n

    def entity(self, i: int, company: bool) -> dict:
        r = self.rng
        if company:
            core = "".join(r.sample(CHARS, r.choice((2, 2, 2, 3))))
            e = {
                "kind": "company",
                "city": r.choice(CITIES),
                "core": core,
                "descriptor": r.choice(DESCRIPTORS),
                "legal": r.choice(LEGAL),
                "region_prefix": r.random() < 0.7,
            }
            e["name"] = (
                (e["city"] if e["region_prefix"] else "") + core + e["descriptor"] + e["legal"]
            )
            e["phone"] = self.unique_phone(mobile=r.random() < 0.3)
            if r.random() < 0.7:
                e["address"] = (
                    f"{e['city']}市{r.choice(DISTRICTS)}区{r.choice(STREETS)}"
                    f"{r.choice(STREET_KIND)}{r.randrange(1, 400)}号"
                )
            if r.random() < 0.5:
                e["email"] = f"info{i}@{''.join(lazy_pinyin(core))}.com.cn"
        else:
            name = r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2, 2))))
            e = {"kind": "individual", "name": name, "city": r.choice(CITIES)}
            e["phone"] = self.unique_phone(mobile=r.random() < 0.9)
            if r.random() < 0.5:
                e["email"] = (
                    f"{''.join(lazy_pinyin(name))}{i}@{r.choice(['qq.com', '163.com', 'gmail.com'])}"
                )
            if r.random() < 0.3:
                e["address"] = (
                    f"{e['city']}市{r.choice(DISTRICTS)}区{r.choice(STREETS)}路{r.randrange(1, 400)}号"
                )
        return e

    # --- corruptions ---------------------------------------------------------------------

    def typo(self, text: str, homophone: bool) -> str:
        cjk = [k for k, ch in enumerate(text) if matching.is_cjk(ch)]
        if not cjk:
            return text
        k = self.rng.choice(cjk)
        if homophone:
            options = [c for c in self.homophones.get(lazy_pinyin(text[k])[0], []) if c != text[k]]
            if not options:
                return text
            return text[:k] + self.rng.choice(options) + text[k + 1 :]
        return text[:k] + self.rng.choice(CHARS) + text[k + 1 :]

    def phone_variant(self, n: str) -> str:
        r = self.rng
        if n.startswith("1"):
            return r.choice(
                [
                    f"+86 {n[:3]} {n[3:7]} {n[7:]}",
                    f"0086-{n}",
                    f"86{n}",
                    f"{n[:3]}-{n[3:7]}-{n[7:]}",
                    f"{n[:3]} {n[3:7]} {n[7:]}",
                ]
            )
        area = 3 if n[1] in "12" else 4
        code, local = n[:area], n[area:]
        return r.choice(
            [
                f"{code}-{local}",
                f"+86 {code[1:]} {local[:4]} {local[4:]}",
                local,
                f"({code}){local}",
                f"{code}-{local}-{r.randrange(100, 999)}",
                f"0086 {code[1:]} {local}",
            ]
        )

    def address_variant(self, a: str) -> str:
        r = self.rng
        for _ in range(r.randint(1, 3)):
            choice = r.randrange(4)
            if choice == 0 and "市" in a:
                a = a.split("市", 1)[1]
            elif choice == 1:
                a = a.replace("大道", "路").replace("大街", "街")
            elif choice == 2 and "区" in a and "市" not in a:
                a = a.split("区", 1)[1]
            elif choice == 3:
                digits = "".join(ch for ch in a if ch.isdigit())
                if digits and len(digits) == 1:
                    a = a.replace(f"{digits}号", f"{CN_NUM[int(digits)]}号")
        return a

    def duplicate(self, e: dict, p: dict) -> dict:
        r = self.rng
        d = dict(e)
        name = e["name"]
        if e["kind"] == "company":
            region = e["city"]
            core = e["core"]
            if r.random() < p["typo_homophone"]:
                core = self.typo(core, True)
            elif r.random() < p["typo_random_char"]:
                core = self.typo(core, False)
            descriptor = "" if r.random() < p["descriptor_dropped"] else e["descriptor"]
            legal = (
                r.choice([*LEGAL, "", "公司"])
                if r.random() < p["legal_form_change"]
                else e["legal"]
            )
            if r.random() < p["region_variant_company"]:
                form = r.randrange(5)
                name = [
                    f"{region}市{core}{descriptor}{legal}",
                    f"{core}{descriptor}({region}){legal}",
                    f"{core}{descriptor}{legal}{region}分公司",
                    f"{core}{region}",
                    f"{core}{descriptor}{legal}",
                ][form]
            else:
                name = (region if e["region_prefix"] else "") + core + descriptor + legal
            if r.random() < p["pinyin_name"]:
                name = "".join(lazy_pinyin(core)).capitalize() + " Co., Ltd."
        else:
            if r.random() < p["transposed_person"] and len(name) == 3:
                name = name[0] + name[2] + name[1]
            if r.random() < p["typo_homophone"]:
                name = self.typo(name, True)
            elif r.random() < p["typo_random_char"]:
                name = self.typo(name, False)
            if r.random() < p["pinyin_name"]:
                syl = lazy_pinyin(name)
                name = r.choice(
                    [
                        f"{syl[0].capitalize()} {''.join(syl[1:]).capitalize()}",
                        f"{''.join(syl[1:]).capitalize()} {syl[0].capitalize()}",
                    ]
                )
        if r.random() < p["traditional"]:
            name = self.s2t.convert(name)
        if r.random() < p["fullwidth"]:
            name = name.translate({i: i + 0xFEE0 for i in range(0x21, 0x7F)})
        d["name"] = name
        if r.random() < p["phone_dropped"]:
            d.pop("phone", None)
        elif r.random() < p["phone_format"]:
            d["phone"] = self.phone_variant(e["phone"])
        if "email" in d:
            if r.random() < p["email_dropped"]:
                d.pop("email")
            elif r.random() < p["email_case"]:
                d["email"] = d["email"].upper() if r.random() < 0.5 else d["email"].capitalize()
        if "address" in d:
            if r.random() < p["address_dropped"]:
                d.pop("address")
            elif r.random() < p["address_variant"]:
                d["address"] = self.address_variant(d["address"])
        return d

    def dataset(self, entities: int) -> tuple[list[dict], list[int]]:
        p = corruption_model()
        sizes, weights = zip(*p["cluster_size"].items(), strict=True)
        records, labels = [], []
        for i in range(entities):
            e = self.entity(i, self.rng.random() < p["company_share"])
            records.append(e)
            labels.append(i)
            for _ in range(self.rng.choices(sizes, weights)[0] - 1):
                records.append(self.duplicate(e, p))
                labels.append(i)
        order = list(range(len(records)))
        self.rng.shuffle(order)
        return [records[k] for k in order], [labels[k] for k in order]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=32000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=matching.REVIEW_THRESHOLD)
    parser.add_argument(
        "--model", choices=("em", "prior"), default="em", help="m/u by EM, or the priors"
    )
    parser.add_argument("--errors", type=int, default=0, help="print N false pairs of each kind")
    args = parser.parse_args()

    t0 = time.perf_counter()
    records, labels = Generator(args.seed).dataset(args.entities)
    t1 = time.perf_counter()
    n = len(records)
    kinds = Counter(r["kind"] for r in records)
    clusters = Counter(labels)
    true_pairs = {
        (i, j)
        for members in _members(labels).values()
        for x, i in enumerate(members)
        for j in members[x + 1 :]
    }
    profiles = [matching.make_profile(r, kind=r["kind"], id=k) for k, r in enumerate(records)]
    t2 = time.perf_counter()
    pairs = matching.candidate_pairs(profiles)
    t3 = time.perf_counter()
    model = None
    if args.model == "em":
        from kehu.customers import linkage

        model = linkage.fit(
            profiles, (linkage.compare_vector(profiles[i], profiles[j]) for i, j in pairs)
        )
        print(f"model: {model.fitted}, lambda {model.lam:.4f}")
    scores = {(i, j): matching.compare(profiles[i], profiles[j], model).total for i, j in pairs}
    t4 = time.perf_counter()
    for t in (0.70, 0.75, 0.80, 0.85, 0.90, 0.93):
        pred = {pq for pq, s in scores.items() if s >= t}
        tp_t = len(true_pairs & pred)
        p_t, r_t = tp_t / max(1, len(pred)), tp_t / len(true_pairs)
        print(
            f"  at {t:.2f}: precision {p_t:.4f} recall {r_t:.4f} F1 {2 * p_t * r_t / max(1e-9, p_t + r_t):.4f}"
        )
    predicted = {pq: s for pq, s in scores.items() if s >= args.threshold}
    tp = len(true_pairs & predicted.keys())
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(true_pairs) if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    blocked_recall = len(true_pairs & pairs) / len(true_pairs)
    print(f"records: {n:,} ({kinds['company']:,} companies, {kinds['individual']:,} individuals)")
    print(
        f"entities: {len(clusters):,}; duplicate clusters (size >= 2): "
        f"{sum(1 for c in clusters.values() if c > 1):,}; true duplicate pairs: {len(true_pairs):,}"
    )
    print(f"all pairs n(n-1)/2: {n * (n - 1) // 2:,}")
    print(
        f"candidate pairs from blocking: {len(pairs):,} "
        f"({len(pairs) / (n * (n - 1) / 2):.5%} of all pairs); true pairs blocked: {blocked_recall:.4f}"
    )
    print(f"threshold {args.threshold:.2f}: predicted {len(predicted):,}, true positives {tp:,}")
    print(f"precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")
    print(
        f"time: generate {t1 - t0:.1f} s, normalise {t2 - t1:.1f} s, block {t3 - t2:.1f} s, "
        f"score {t4 - t3:.1f} s; match total {t4 - t1:.1f} s"
    )
    if args.errors:
        fps = [pq for pq in predicted if pq not in true_pairs][: args.errors]
        fns = [pq for pq in true_pairs if pq not in predicted][: args.errors]
        for label, items in (("false positive", fps), ("false negative", fns)):
            for i, j in items:
                s = matching.compare(profiles[i], profiles[j], model)
                print(label, s.total, s.summary(), "|", _show(records[i]), "|", _show(records[j]))


def _members(labels: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for k, label in enumerate(labels):
        out[label].append(k)
    return out


def _show(r: dict) -> str:
    return " ".join(str(r.get(k, "")) for k in ("name", "phone", "email", "address"))


if __name__ == "__main__":
    main()
