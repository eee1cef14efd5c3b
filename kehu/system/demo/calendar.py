"""Demo calendar and dictionaries: China's 2026 public holidays and make-up days, default lists."""

from kehu.core.demo import DemoContext, generator

from ..actions.params import CHINA_2026_HOLIDAYS, import_holidays
from ..params import ensure_dictionaries


@generator(5, "dictionaries and the 2026 holiday calendar")
def calendar(ctx: DemoContext) -> None:
    ensure_dictionaries()
    import_holidays(rows=CHINA_2026_HOLIDAYS)
