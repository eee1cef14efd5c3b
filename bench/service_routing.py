"""Benchmark: the routing decision of a service request with 500 agents and 5,000 open requests.

Run from the repository root::

    .venv/bin/python bench/service_routing.py --agents 500 --open 5000 --repeat 1000

What it does: generates ``--agents`` agent profiles (random categories, products, languages,
level, availability, maximum load) and ``--open`` open requests spread over them (the open load
of each agent, as :func:`kehu.service.actions.routing.load_candidates` reads it in one grouped
query), then times ``--repeat`` routing decisions (:func:`choose_agent`: filter the free agents,
score each one, pick the best, write the reason) for random requests, and reports the median and
p95. The database part of routing (three queries: the grouped open load, the profiles, their
products) is not timed here; it is independent of the request and constant in query count.
Markdown on stdout. No database is needed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")

CATEGORIES = ("installation", "fault", "usage", "billing", "delivery", "other")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--open", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.utils import translation

    from kehu.service.actions.routing import Candidate, Need, choose_agent

    translation.activate("en")
    rng = random.Random(args.seed)
    loads = Counter(rng.randrange(args.agents) for _ in range(args.open))
    candidates = [
        Candidate(
            user_id=i,
            name=f"agent{i}",
            categories=frozenset(rng.sample(CATEGORIES, rng.randint(1, 3))),
            products=frozenset(rng.sample(range(200), 5)),
            languages=frozenset(rng.choice((("zh",), ("zh", "en")))),
            level=rng.randint(1, 5),
            availability=rng.choice(("online", "online", "online", "away", "off")),
            max_load=rng.choice((10, 12, 15, 20)),
            open_load=loads[i],
        )
        for i in range(args.agents)
    ]
    times = []
    chosen = 0
    for _ in range(args.repeat):
        need = Need(
            category=rng.choice(CATEGORIES),
            product_id=rng.randrange(200),
            language=rng.choice(("zh", "zh", "en")),
            priority=rng.choice(("low", "normal", "high", "urgent")),
            complaint=rng.random() < 0.1,
            customer_owner_id=rng.randrange(args.agents * 2),
        )
        start = time.perf_counter()
        decision = choose_agent(candidates, need)
        times.append((time.perf_counter() - start) * 1000)
        chosen += decision.user_id is not None
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print("| agents | open requests | decisions | median ms | p95 ms | assigned |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.agents:,} | {args.open:,} | {args.repeat:,} | "
        f"{statistics.median(times):.3f} | {p95:.3f} | {chosen / args.repeat:.0%} |"
    )


if __name__ == "__main__":
    main()
