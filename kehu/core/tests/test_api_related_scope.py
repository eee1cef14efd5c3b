"""A relation written through the API accepts only records the writer may see
(``core.api.restrict_related``): a salesperson cannot attach a deal to another branch's
customer by guessing its id, and the answer is the same as for an id that does not exist."""

from __future__ import annotations

import pytest

from kehu.core.registry import registry
from kehu.core.testing import load_factories

FACTORIES = load_factories()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "label, data",
    [
        ("sales.opportunity", {"name": "大单", "amount": "1000"}),
        ("sales.salesorder", {}),
        ("sales.contract", {"title": "框架合同", "amount": "1000"}),
        ("customers.contact", {"name": "张三"}),
    ],
)
def test_an_owned_relation_outside_the_scope_is_refused_like_a_missing_one(
    client, make_user, label, data
):
    owner = make_user("salesperson", "a1")
    outsider = make_user("salesperson", "a2")
    theirs = FACTORIES["customers.customer"](owner, 1, name="别家的客户")
    mine = FACTORIES["customers.customer"](outsider, 2, name="自己的客户")
    ot = registry[label]
    client.force_login(outsider)

    def post(customer_id):
        return client.post(
            ot.api_path,
            {**data, "customer": customer_id},
            content_type="application/json",
        )

    hidden, missing = post(theirs.pk), post(999_999_999)
    assert hidden.status_code == missing.status_code == 400
    said = hidden.json()["customer"][0].replace(str(theirs.pk), "ID")
    assert said == missing.json()["customer"][0].replace("999999999", "ID")
    assert "别家的客户" not in hidden.content.decode()
    created = post(mine.pk)
    assert created.status_code != 400 or "customer" not in created.json(), created.content
