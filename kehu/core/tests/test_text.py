"""kehu.core.text: one folding and one pinyin reading for search, matching, imports and the
mnemonic code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kehu.core import text
from kehu.customers import matching
from kehu.customers.actions.customer import mnemonic_for
from kehu.customers.actions.imports import normalise_name

ROOT = Path(__file__).resolve().parents[3]


def test_fold_and_compact():
    assert text.fold("Ｂｅｉ Jing") == "bei jing"
    assert text.compact("Bei Jing-华为 (BJ)") == "beijing华为bj"
    assert text.compact(None) == text.compact("") == text.fold(None) == ""
    assert text.without_spaces("北京 华为\u3000Ｔｅｃｈ") == "北京华为tech"


@pytest.mark.parametrize(("a", "b"), [("北京 华为", "北京华为"), ("Straße GmbH", "STRASSE gmbh")])
def test_import_rule_and_matcher_fold_like_search(a, b):
    """The three foldings were copies with small differences (``lower`` here, ``casefold``
    there): the same two names are now one name for all of them."""
    assert normalise_name(a) == normalise_name(b)
    assert matching.fold(a).replace(" ", "") == matching.fold(b).replace(" ", "")
    assert text.compact(a) == text.compact(b)


@pytest.mark.parametrize("name", ["北京华为技术有限公司", "ABC科技", "重庆银行", "华为(北京) 12"])
def test_mnemonic_is_the_search_initials(name):
    assert mnemonic_for(name).lower() == text.pinyin_forms(name)[1]


def test_matcher_imports_without_django():
    """The matcher and the duplicate benchmark (bench/dedupe.py) run without a database: the
    text and phone helpers they use import no Django model."""
    code = "import kehu.customers.matching as m; print(m.company_name('北京华为技术有限公司').core)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "华为"
