"""``kehu demo`` is never left half-filled: a step that fails leaves nothing, the next run
resumes at that step and ends with the whole demo (the README's first command, run again)."""

from __future__ import annotations

import pytest

from kehu.core import demo
from kehu.core.context import acting_as
from kehu.core.registry import import_app_modules
from kehu.customers.models import Activity, Contact, Customer

pytestmark = pytest.mark.django_db

CUSTOMERS = 60


class Boom(Exception):
    pass


def _run() -> None:
    ctx = demo.DemoContext(seed=7, customers=CUSTOMERS, employees=20, out=lambda s: None)
    with acting_as(None, request_id="demo"):
        demo.run_generators(ctx)


def _failing_after(name: str, generators):
    """The generator list with ``name`` doing its work and then failing (a crash mid-step)."""

    def wrap(fn):
        def failing(ctx):
            fn(ctx)
            raise Boom(name)

        return failing

    return [(o, n, wrap(fn) if n == name else fn) for o, n, fn in generators]


def test_a_failed_step_leaves_nothing_and_the_next_run_completes_the_demo(monkeypatch):
    import_app_modules("demo")
    real = list(demo.GENERATORS)
    monkeypatch.setattr(demo, "GENERATORS", _failing_after("customers", real))
    with pytest.raises(Boom):
        _run()
    assert not Customer.objects.exists()  # rolled back: not "5,330 customers, 407 contacts"
    assert not Contact.objects.exists()
    assert Customer.all_objects.count() == 0  # not even in the recycle bin

    monkeypatch.setattr(demo, "GENERATORS", _failing_after("activities", real))
    with pytest.raises(Boom):
        _run()
    assert Customer.objects.count() == CUSTOMERS  # the steps before the failure are kept
    assert not Activity.objects.exists()

    monkeypatch.setattr(demo, "GENERATORS", real)
    _run()  # resumes: customers are not made twice, activities are made now
    planted = Customer.objects.filter(notes__startswith="[demo duplicate]")
    assert planted.exists()
    assert Customer.objects.count() - planted.count() == CUSTOMERS
    assert Contact.objects.filter(customer__isnull=False).count() >= CUSTOMERS
    assert Activity.objects.exists()
