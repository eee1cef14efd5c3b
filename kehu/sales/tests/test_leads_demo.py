"""The demo leads: a year of them, scored, some converted into demo customers; the same seed
gives the same leads; a second run adds nothing."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from kehu.core.demo import DemoContext
from kehu.customers.tests.factories import customer as make_customer
from kehu.sales.demo.leads import leads as generate
from kehu.sales.models.leads import Lead

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple]:
    return list(
        Lead.objects.order_by("pk").values_list(
            "name", "company", "status", "source", "score", "owner_id", "converted_customer_id"
        )
    )


def test_demo_leads_are_deterministic(make_user):
    owner = make_user("salesperson", "a1")
    make_user("salesperson", "a2")
    for n in range(30):
        make_customer(owner, n)
    runs = []
    for _attempt in range(2):
        with transaction.atomic():
            generate(DemoContext(seed=7, customers=30, employees=2, out=lambda s: None))
            runs.append(snapshot())
            leads = Lead.objects.all()
            assert leads.count() == 300
            year_ago = timezone.now() - datetime.timedelta(days=366)
            assert not leads.filter(created_at__lt=year_ago).exists()
            converted = leads.filter(status="converted")
            assert converted.exists()
            assert not converted.filter(converted_customer__isnull=True).exists()
            assert leads.filter(score__gt=0).exists()
            assert not leads.filter(status="disqualified", disqualified_reason="").exists()
            generate(DemoContext(seed=7, customers=30, employees=2, out=lambda s: None))
            assert Lead.objects.count() == 300  # skipped: its data exists
            transaction.set_rollback(True)
    assert runs[0] == runs[1]
