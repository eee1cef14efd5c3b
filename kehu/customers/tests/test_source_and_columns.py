"""One 客户来源 list: the customer's source is the "customer source" dictionary's, on the form,
the API and the import; "客户级别" and "客户来源" columns are recognised (issue 16)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.core import imports
from kehu.core.fields import dictionary_of
from kehu.customers.models import Customer
from kehu.system.actions.params import save_dictionary_item
from kehu.system.models import DictionaryItem


def test_the_source_field_is_backed_by_the_dictionary():
    assert dictionary_of(Customer._meta.get_field("source")) == "customer_source"


@pytest.mark.django_db
def test_the_form_offers_the_dictionarys_entries(client, make_user):
    admin = make_user("administrator", "hq")
    save_dictionary_item(
        item=DictionaryItem(
            dictionary="customer_source", code="wechat", label_zh="微信公众号", label_en="WeChat"
        ),
        user=admin,
    )
    client.force_login(admin)
    page = client.get(reverse("customers:customer_add")).content.decode()
    select = page[
        page.index('name="source"') : page.index("</select>", page.index('name="source"'))
    ]
    assert 'value="wechat"' in select and 'value="exhibition"' in select
    assert "微信公众号" in select


@pytest.mark.django_db
def test_api_refuses_a_source_outside_the_dictionary(client, make_user):
    admin = make_user("administrator", "hq")
    client.force_login(admin)
    body = {"name": "来源测试公司", "kind": "company", "source": "no-such-source"}
    response = client.post("/api/customers/", body, content_type="application/json")
    assert response.status_code == 400 and "source" in response.json()
    body["source"] = "referral"
    response = client.post("/api/customers/", body, content_type="application/json")
    assert response.status_code == 201 and response.json()["source"] == "referral"


@pytest.mark.django_db
def test_level_and_source_columns_are_recognised():
    importer = imports.get_importer("customers.customer")
    mapping = imports.guess_mapping(importer, ["客户名称", "客户级别", "客户来源"])
    assert mapping == ["name", "level", "source"]


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "fmt"), [("zh-hans", "csv"), ("en", "xlsx")])
def test_the_template_maps_itself_and_its_example_imports(client, make_user, language, fmt):
    from django.core.files.uploadedfile import SimpleUploadedFile

    manager = make_user("sales_manager", "a1")
    client.force_login(manager)
    client.cookies["django_language"] = language
    start = client.get(reverse("core:import_start", args=["customers.customer"])).content.decode()
    url = reverse("core:import_template", args=["customers.customer"]) + f"?format={fmt}"
    assert url in start
    response = client.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    run = imports.create_run(
        user=manager,
        label="customers.customer",
        upload=SimpleUploadedFile(f"template.{fmt}", response.content),
        mode="skip",
    )
    importer = imports.get_importer("customers.customer")
    mapping = list(run.mapping)
    while mapping and not mapping[-1]:
        mapping.pop()  # empty trailing columns of a workbook
    assert mapping == [f.name for f in importer.fields]  # every column recognised
    outcome = imports.dry_run(run)
    assert outcome.counts["created"] == 1 and outcome.counts["error"] == 0, outcome


@pytest.mark.django_db
def test_the_template_needs_the_import_permission(client, make_user):
    client.force_login(make_user("salesperson", "a1"))
    url = reverse("core:import_template", args=["customers.customer"])
    assert client.get(url).status_code == 403
