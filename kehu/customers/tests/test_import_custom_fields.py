"""Custom fields can be mapped in an import: their columns are recognised by either label or the
code, each cell is read as the form reads it, bad cells are row errors naming the field, and
an update merges the values (issue 16)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kehu.core import imports
from kehu.customers.models import Customer
from kehu.system.actions import save_custom_field
from kehu.system.models import CustomField

LABEL = "customers.customer"


@pytest.fixture
def fields(db):
    save_custom_field(
        field=CustomField(
            object_type=LABEL,
            code="annual_purchase",
            label_zh="年采购额（万元）",
            label_en="Annual purchases",
            kind="number",
        )
    )
    save_custom_field(
        field=CustomField(
            object_type=LABEL, code="listed", label_zh="是否上市", label_en="Listed", kind="boolean"
        )
    )


def _run(user, text: str, mode: str = "skip"):
    run = imports.create_run(
        user=user,
        label=LABEL,
        upload=SimpleUploadedFile("c.csv", text.encode("utf-8")),
        mode=mode,
    )
    return run


@pytest.mark.django_db
def test_custom_columns_are_mapped_by_either_label_and_imported(fields, make_user):
    manager = make_user("sales_manager", "a1")
    run = _run(manager, '客户名称,年采购额（万元）,Listed\n甲公司,"1,200",是\n乙公司,abc,否\n')
    assert run.mapping == ["name", "custom.annual_purchase", "custom.listed"]
    dry = imports.dry_run(run)
    assert dry.counts == {"created": 1, "updated": 0, "skipped": 0, "duplicate": 0, "error": 1}
    assert "年采购额（万元）" in dry.problems[0].errors[0] or "Annual" in dry.problems[0].errors[0]
    imports.set_mapping(run=run, mapping=run.mapping, mode="skip")
    imports.run_import(run)
    customer = Customer.objects.get(name="甲公司")
    assert customer.custom == {"annual_purchase": 1200, "listed": True}
    assert not Customer.objects.filter(name="乙公司").exists()


@pytest.mark.django_db
def test_an_update_merges_custom_values(fields, make_user):
    manager = make_user("sales_manager", "a1")
    run = _run(manager, "客户编号,客户名称,是否上市\nKH-9,丙公司,是\n")
    imports.set_mapping(run=run, mapping=run.mapping, mode="skip")
    imports.run_import(run)
    Customer.objects.filter(number="KH-9")  # created with listed = True
    run = _run(manager, "客户编号,客户名称,annual_purchase\nKH-9,丙公司,35\n", mode="update")
    imports.set_mapping(run=run, mapping=run.mapping, mode="update")
    imports.run_import(run)
    assert run.updated == 1, run.summary_text()
    assert Customer.objects.get(number="KH-9").custom == {"listed": True, "annual_purchase": 35}


@pytest.mark.django_db
def test_the_mapping_page_and_template_offer_custom_fields(fields, client, make_user):
    manager = make_user("sales_manager", "a1")
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    template = client.get(reverse("core:import_template", args=[LABEL])).content.decode("utf-8-sig")
    assert "Annual purchases" in template.splitlines()[0]
    run = _run(manager, "Name,x\n丁公司,1\n")
    page = client.get(reverse("core:import_map", args=[run.pk])).content.decode()
    assert 'value="custom.annual_purchase"' in page and "Annual purchases" in page


@pytest.mark.django_db
def test_the_result_links_to_the_imported_records(client, make_user):
    manager = make_user("sales_manager", "a1")
    other = make_user("sales_manager", "a1")
    first = _run(manager, "客户编号,客户名称\nK1,旧公司\n")
    imports.set_mapping(run=first, mapping=first.mapping, mode="skip")
    imports.run_import(first)
    run = _run(manager, "客户编号,客户名称\n,新公司一\n,新公司二\nK1,旧公司\n")
    imports.set_mapping(run=run, mapping=run.mapping, mode="skip")
    imports.run_import(run)
    assert (run.created, run.skipped) == (2, 1)
    client.force_login(manager)
    result = client.get(reverse("core:import_result", args=[run.pk])).content.decode()
    link = reverse("customers:customer_list") + f"?import_run={run.pk}"
    assert link in result
    page = client.get(link).content.decode()
    assert "新公司一" in page and "新公司二" in page and "旧公司" not in page
    assert 'type="hidden" name="import_run"' in page
    client.force_login(other)  # another user's import matches nothing
    assert "新公司一" not in client.get(link).content.decode()
    api = client.get(f"/api/customers/?import_run={run.pk}")
    assert api.status_code == 200 and api.json()["results"] == []


@pytest.mark.django_db
def test_each_skipped_row_is_named_with_the_record_it_matched(client, make_user):
    manager = make_user("sales_manager", "a1")
    first = _run(manager, "客户编号,客户名称\nK7,已有公司\n")
    imports.set_mapping(run=first, mapping=first.mapping, mode="skip")
    imports.run_import(first)
    existing = Customer.objects.get(number="K7")
    run = _run(manager, "客户编号,客户名称\n,新来公司\nK7,已有公司\n")
    imports.set_mapping(run=run, mapping=run.mapping, mode="skip")
    client.force_login(manager)
    preview = client.get(reverse("core:import_preview", args=[run.pk])).content.decode()
    assert 'data-skipped-row="3"' in preview and existing.get_absolute_url() in preview
    imports.run_import(run)
    assert run.skipped_rows == [[3, existing.pk, str(existing)]]
    result = client.get(reverse("core:import_result", args=[run.pk])).content.decode()
    assert 'data-skipped-row="3"' in result and existing.get_absolute_url() in result
