"""Products: cost hidden without "see cost and margin", price rules, level prices, categories."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from kehu.core.testing import picker_choices
from kehu.system.actions import (
    delete_product_category,
    price_for,
    product_amount_decimals,
    save_price_list_item,
    save_product,
    save_product_category,
)
from kehu.system.models import PriceListItem, Product, ProductCategory, Role, SystemParameters

from .factories_products import level_price, product, product_category

COST = Decimal("612.34")  # a figure that appears nowhere else on the pages
FLOOR_MSG = "The floor price cannot be higher than the list price."
TAX_MSG = "The tax rate must be between 0 and 1 (0.13 is 13%)."
CODE_MSG = "A product with this code already exists."
NEGATIVE_MSG = "The amount cannot be negative."
BELOW_FLOOR_MSG = "you may not sell below it"


def _role(name: str, codenames: list[str]) -> Role:
    role = Role.objects.create(name=name, default_view_scope="all", default_edit_scope="all")
    role.permissions.set(
        Permission.objects.filter(content_type__app_label="system", codename__in=codenames)
    )
    return role


CATALOGUE_PERMS = [
    f"{action}_{model}"
    for action in ("view", "add", "change", "delete")
    for model in ("product", "productcategory")
]


@pytest.fixture
def seller(make_user, roles):
    """A salesperson who may maintain the catalogue and export, but not see cost."""
    user = make_user("salesperson", "a1")
    user.roles.add(_role("catalogue", [*CATALOGUE_PERMS, "export_data"]))
    return user


@pytest.fixture
def controller(make_user, roles):
    """May see cost and margin and sell below the floor price."""
    user = make_user("salesperson", "a2")
    user.roles.add(
        _role("controller", [*CATALOGUE_PERMS, "export_data", "see_cost", "sell_below_floor"])
    )
    return user


@pytest.fixture
def item(admin_user):
    return product(admin_user, 1, code="TRF-001", name="干式变压器", cost=COST)


def _english(client):
    """Browsers get Chinese until the user chooses: the choice is the language cookie."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _csv(response) -> str:
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


# --- Cost and margin: hidden without the special permission ---------------------------------


@pytest.mark.django_db
def test_cost_hidden_from_a_salesperson_everywhere(client, seller, item):
    client.force_login(seller)
    _english(client)
    html = client.get(reverse("system:product_list")).content.decode()
    assert item.code in html
    assert "612.34" not in html and ">Cost" not in html
    html = client.get(reverse("system:product_detail", args=[item.pk])).content.decode()
    assert item.name in html
    assert "612.34" not in html and "Margin" not in html and "data-margin" not in html
    export = _csv(client.get(reverse("system:product_list"), {"export": "csv"}))
    assert item.code in export and "612.34" not in export
    rows = client.get("/api/products/").json()["results"]
    assert rows and all("cost" not in row and "margin" not in row for row in rows)
    body = client.get(f"/api/products/{item.pk}/").json()
    assert "cost" not in body and "margin" not in body and body["code"] == item.code
    form = client.get(reverse("system:product_edit", args=[item.pk])).content.decode()
    assert 'name="cost"' not in form and 'name="list_price"' in form


@pytest.mark.django_db
def test_cost_cannot_be_set_without_permission(client, seller, item):
    client.force_login(seller)
    data = {
        "code": item.code,
        "name": "改名",
        "category": item.category_id,
        "kind": item.kind,
        "unit": item.unit,
        "list_price": "1000",
        "floor_price": "800",
        "cost": "1",
        "tax_rate": "0.13",
        "is_active": "on",
        "version": item.version,
    }
    response = client.post(reverse("system:product_edit", args=[item.pk]), data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "改名" and item.cost == COST
    response = client.patch(
        f"/api/products/{item.pk}/",
        {"cost": "2"},
        content_type="application/json",
        HTTP_IF_MATCH=client.get(f"/api/products/{item.pk}/")["ETag"],
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.cost == COST
    response = client.post(
        "/api/products/",
        {"code": "NEW-1", "name": "新品", "category": item.category_id, "cost": "99"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Product.objects.get(code="NEW-1").cost == 0


@pytest.mark.django_db
def test_cost_and_margin_visible_with_permission(client, controller, item):
    client.force_login(controller)
    _english(client)
    html = client.get(reverse("system:product_list")).content.decode()
    assert "612.34" in html and ">Cost" in html
    html = client.get(reverse("system:product_detail", args=[item.pk])).content.decode()
    assert "612.34" in html and "data-margin" in html
    assert "387.66" in html  # margin = 1000 - 612.34
    assert "612.34" in _csv(client.get(reverse("system:product_list"), {"export": "csv"}))
    body = client.get(f"/api/products/{item.pk}/").json()
    assert Decimal(body["cost"]) == COST and Decimal(body["margin"]) == Decimal("387.66")
    form = client.get(reverse("system:product_edit", args=[item.pk])).content.decode()
    assert 'name="cost"' in form


@pytest.mark.django_db
def test_prices_are_displayed_with_the_parameter_decimals(client, controller, admin_user):
    obj = product(admin_user, 1, list_price=Decimal("1234.567891"), floor_price=Decimal("1000"))
    client.force_login(controller)
    product_amount_decimals()
    params, _created = SystemParameters.objects.get_or_create(pk=1)
    params.product_amount_decimals = 0
    params.save()
    _english(client)
    html = client.get(reverse("system:product_list")).content.decode()
    assert "1,235" in html and "1,234.57" not in html
    params.product_amount_decimals = 3
    params.save()
    html = client.get(reverse("system:product_detail", args=[obj.pk])).content.decode()
    assert "1,234.568" in html


# --- Validation, in the user's language -----------------------------------------------------


def _product_post(category, **overrides):
    data = {
        "code": "X-1",
        "name": "试验品",
        "category": category.pk,
        "kind": "self_made",
        "unit": "台",
        "list_price": "100",
        "floor_price": "80",
        "cost": "50",
        "tax_rate": "0.13",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def _in(language: str, msgid: str) -> str:
    with translation.override(language):
        return gettext(msgid)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_form_refuses_bad_prices_with_messages_in_the_users_language(client, admin_user, language):
    existing = product(admin_user, 1, code="ABC-9")
    client.force_login(admin_user)
    if language == "en":
        _english(client)
    add = reverse("system:product_add")
    cases = [
        ({"floor_price": "120"}, FLOOR_MSG),
        ({"tax_rate": "1.5"}, TAX_MSG),
        ({"list_price": "-1", "floor_price": "-2"}, NEGATIVE_MSG),
        ({"code": "abc-9"}, CODE_MSG),  # case-insensitive
    ]
    for overrides, msgid in cases:
        data = _product_post(existing.category, **overrides, name="")
        response = client.post(add, data)
        assert response.status_code == 200
        html = response.content.decode()
        assert _in(language, msgid) in html, msgid
        # Django's own message proves the page answered in the requested language.
        required = _in(language, "This field is required.")
        assert required in html
        assert (required == "This field is required.") == (language == "en")
    assert Product.objects.count() == 1
    response = client.post(add, _product_post(existing.category))
    assert response.status_code == 302
    assert Product.objects.get(code="X-1").floor_price == 80


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_api_refuses_bad_prices_with_messages_in_the_users_language(client, admin_user, language):
    existing = product(admin_user, 1, code="ABC-9")
    client.force_login(admin_user)
    body = {"code": "X-2", "name": "试验", "category": existing.category_id}
    cases = [
        ({"list_price": "100", "floor_price": "120"}, "floor_price", FLOOR_MSG),
        ({"tax_rate": "1.5"}, "tax_rate", TAX_MSG),
        ({"cost": "-1"}, "cost", NEGATIVE_MSG),
        ({"code": "abc-9"}, "code", CODE_MSG),
    ]
    for overrides, field, msgid in cases:
        response = client.post(
            "/api/products/",
            body | overrides,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 400, response.content
        assert _in(language, msgid) in response.json()[field]
    response = client.patch(
        f"/api/products/{existing.pk}/",
        {"floor_price": "5000", "version": existing.version},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert _in(language, FLOOR_MSG) in response.json()["floor_price"]
    assert Product.objects.count() == 1


@pytest.mark.django_db
def test_save_product_action_enforces_the_rules(admin_user):
    category = product_category(admin_user, 1)
    with pytest.raises(ValidationError) as exc:
        save_product(
            product=Product(
                code="Z",
                name="z",
                category=category,
                list_price=Decimal("10"),
                floor_price=Decimal("11"),
            ),
            user=admin_user,
        )
    assert "floor_price" in exc.value.message_dict
    assert not Product.objects.exists()


# --- Prices by customer level ---------------------------------------------------------------


@pytest.mark.django_db
def test_price_for_uses_the_level_price_else_the_list_price(admin_user, item):
    level_price(admin_user, item, "A", Decimal("900"))
    assert price_for(product=item, customer_level="A") == Decimal("900")
    assert price_for(product=item, customer_level="B") == Decimal("1000")
    assert price_for(product=item, customer_level=None) == Decimal("1000")
    prefetched = Product.objects.prefetch_related("level_prices").get(pk=item.pk)
    assert price_for(product=prefetched, customer_level="A") == Decimal("900")


@pytest.mark.django_db
def test_level_price_below_floor_needs_the_special_permission(seller, controller, item):
    with pytest.raises(ValidationError) as exc:
        save_price_list_item(
            item=PriceListItem(product=item, customer_level="A", price=Decimal("700")), user=seller
        )
    assert "price" in exc.value.message_dict
    with pytest.raises(ValidationError):
        save_price_list_item(
            item=PriceListItem(product=item, customer_level=" ", price=Decimal("900")),
            user=seller,
        )
    saved = save_price_list_item(
        item=PriceListItem(product=item, customer_level="A", price=Decimal("700")),
        user=controller,
    )
    assert saved.pk and price_for(product=item, customer_level="A") == Decimal("700")


def _prices_post(formset_rows, initial=0):
    data = {
        "form-TOTAL_FORMS": str(len(formset_rows)),
        "form-INITIAL_FORMS": str(initial),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(formset_rows):
        for key, value in row.items():
            data[f"form-{i}-{key}"] = value
    return data


@pytest.mark.django_db
def test_prices_page_refuses_below_floor_without_permission(client, seller, controller, item):
    url = reverse("system:product_prices", args=[item.pk])
    client.force_login(seller)
    _english(client)
    assert client.get(url).status_code == 200
    response = client.post(url, _prices_post([{"customer_level": "A", "price": "700"}]))
    assert response.status_code == 200
    assert BELOW_FLOOR_MSG in response.content.decode()
    assert not PriceListItem.objects.exists()
    response = client.post(
        url,
        _prices_post(
            [{"customer_level": "A", "price": "900"}, {"customer_level": "B", "price": "950"}]
        ),
    )
    assert response.status_code == 302
    assert dict(PriceListItem.objects.values_list("customer_level", "price")) == {
        "A": Decimal("900"),
        "B": Decimal("950"),
    }
    detail = client.get(reverse("system:product_detail", args=[item.pk])).content.decode()
    assert "900.00" in detail and "950.00" in detail

    client.force_login(controller)
    a = PriceListItem.objects.get(customer_level="A")
    b = PriceListItem.objects.get(customer_level="B")
    response = client.post(
        url,
        _prices_post(
            [
                {"id": a.pk, "customer_level": "A", "price": "700"},
                {"id": b.pk, "customer_level": "B", "price": "950", "DELETE": "on"},
            ],
            initial=2,
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert dict(PriceListItem.objects.values_list("customer_level", "price")) == {
        "A": Decimal("700")
    }


@pytest.mark.django_db
def test_prices_page_needs_change_permission(client, make_user, roles, item):
    viewer = make_user(None, "a1")
    viewer.roles.add(_role("viewer", ["view_product"]))
    client.force_login(viewer)
    url = reverse("system:product_prices", args=[item.pk])
    assert client.get(reverse("system:product_detail", args=[item.pk])).status_code == 200
    assert client.get(url).status_code == 403
    assert (
        client.post(url, _prices_post([{"customer_level": "A", "price": "900"}])).status_code == 403
    )
    client.force_login(make_user(None, "a1"))
    assert client.get(url).status_code == 403
    assert client.get("/api/pricelistitems/").status_code == 403


@pytest.mark.django_db
def test_price_list_api(client, seller, controller, item):
    client.force_login(seller)
    response = client.post(
        "/api/pricelistitems/",
        {"product": item.pk, "customer_level": "A", "price": "700"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert BELOW_FLOOR_MSG in response.json()["price"][0]
    response = client.post(
        "/api/pricelistitems/",
        {"product": item.pk, "customer_level": "A", "price": "900"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    duplicate = client.post(
        "/api/pricelistitems/",
        {"product": item.pk, "customer_level": "A", "price": "950"},
        content_type="application/json",
    )
    assert duplicate.status_code == 400
    listing = client.get("/api/pricelistitems/", {"product": item.pk}).json()["results"]
    assert [(row["customer_level"], Decimal(row["price"])) for row in listing] == [
        ("A", Decimal("900"))
    ]
    nested = client.get(f"/api/products/{item.pk}/").json()["level_prices"]
    assert [(row["customer_level"], Decimal(row["price"])) for row in nested] == [
        ("A", Decimal("900"))
    ]
    client.force_login(controller)
    pk = listing[0]["id"]
    response = client.patch(
        f"/api/pricelistitems/{pk}/", {"price": "700"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert client.delete(f"/api/pricelistitems/{pk}/").status_code == 204
    assert not PriceListItem.objects.exists()


@pytest.mark.django_db
def test_product_api_list_queries_do_not_grow_with_level_prices(
    client, admin_user, django_assert_max_num_queries
):
    for n in range(20):
        p = product(admin_user, n)
        level_price(admin_user, p, "A")
        level_price(admin_user, p, "B", Decimal("950"))
    client.force_login(admin_user)
    with django_assert_max_num_queries(16):
        assert client.get("/api/products/").status_code == 200


# --- Categories -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_category_delete_refused_while_products_use_it(client, admin_user, item):
    category = item.category
    client.force_login(admin_user)
    _english(client)
    response = client.post(
        reverse("system:productcategory_delete", args=[category.pk]), follow=True
    )
    assert "still has products" in response.content.decode()
    assert ProductCategory.objects.filter(pk=category.pk).exists()
    response = client.delete(f"/api/productcategorys/{category.pk}/")
    assert response.status_code == 400
    assert ProductCategory.objects.filter(pk=category.pk).exists()
    with pytest.raises(ValidationError):
        delete_product_category(category=category, user=admin_user)
    item.delete()
    response = client.post(reverse("system:productcategory_delete", args=[category.pk]))
    assert response.status_code == 302
    assert not ProductCategory.objects.filter(pk=category.pk).exists()


@pytest.mark.django_db
def test_category_tree_moves_and_parent_choices(client, admin_user):
    root = product_category(admin_user, 1, code="R")
    child = product_category(admin_user, 1, code="C", parent=root)
    grandchild = product_category(admin_user, 1, code="G", parent=child)
    other = product_category(admin_user, 1, code="O")
    assert grandchild.path == "R/C/G/" and grandchild.depth == 2
    client.force_login(admin_user)
    form = client.get(reverse("system:productcategory_edit", args=[child.pk])).content.decode()
    offered = picker_choices(client, form, "parent")
    assert str(root.pk) in offered and str(other.pk) in offered
    assert str(child.pk) not in offered and str(grandchild.pk) not in offered
    # A cycle is refused by the action as well (the API has no choice list).
    response = client.patch(
        f"/api/productcategorys/{child.pk}/",
        {"parent": grandchild.pk, "version": child.version},
        content_type="application/json",
    )
    assert response.status_code == 400
    child.refresh_from_db()
    child.parent = other
    save_product_category(category=child, user=admin_user)
    grandchild.refresh_from_db()
    assert grandchild.path == "O/C/G/" and grandchild.depth == 2
    with pytest.raises(ValidationError):
        save_product_category(
            category=ProductCategory(code="o", name="dup"), user=admin_user
        )  # codes are unique whatever the case


@pytest.mark.django_db
def test_filters_by_category_subtree_kind_active_and_price(client, admin_user):
    root = product_category(admin_user, 1, code="R")
    child = product_category(admin_user, 1, code="C", parent=root)
    other = product_category(admin_user, 1, code="O")
    a = product(
        admin_user, 1, code="A1", category=root, list_price=Decimal("100"), floor_price=Decimal("1")
    )
    b = product(
        admin_user, 1, code="B1", category=child, kind="service", list_price=Decimal("5000")
    )
    c = product(admin_user, 1, code="C1", category=other, is_active=False)
    client.force_login(admin_user)

    def codes(params):
        rows = client.get("/api/products/", params).json()["results"]
        return sorted(row["code"] for row in rows)

    assert codes({"category": root.pk}) == ["A1", "B1"]
    assert codes({"category": child.pk}) == ["B1"]
    assert codes({"kind": "service"}) == ["B1"]
    assert codes({"is_active": "false"}) == ["C1"]
    assert codes({"min_price": "200", "max_price": "2000"}) == ["C1"]
    html = client.get(reverse("system:product_list"), {"category": root.pk}).content.decode()
    assert "A1" in html and "B1" in html and ">C1" not in html
    rows = client.get("/api/productcategorys/", {"under": root.pk}).json()["results"]
    assert [row["code"] for row in rows] == ["C"]
    _ = (a, b, c)


@pytest.mark.django_db
def test_pages_need_the_functional_permission(client, make_user, item):
    client.force_login(make_user(None, "a1"))  # no role: no product permissions at all
    assert client.get(reverse("system:product_list")).status_code == 403
    assert client.get(reverse("system:productcategory_list")).status_code == 403
    assert client.get("/api/products/").status_code == 403
    assert client.get("/api/productcategorys/").status_code == 403


# --- Demo -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_catalogue_is_complete_deterministic_and_idempotent():
    from kehu.core.demo import DemoContext
    from kehu.system.demo.products import product_catalogue

    product_catalogue(DemoContext(seed=7, customers=0, employees=0, out=lambda s: None))
    first = list(Product.objects.order_by("code").values_list("code", "list_price", "cost"))
    assert len(first) >= 60
    assert set(Product.objects.values_list("kind", flat=True)) == set(Product.Kind.values)
    assert {"台", "套", "米", "人天", "年"} <= set(Product.objects.values_list("unit", flat=True))
    assert not Product.objects.filter(floor_price__gt=models_f("list_price")).exists()
    assert set(PriceListItem.objects.values_list("customer_level", flat=True)) == {"A", "B", "C"}
    for p in Product.objects.prefetch_related("level_prices"):
        assert all(i.price >= p.floor_price for i in p.level_prices.all())
    assert ProductCategory.objects.filter(depth=1).exists()
    product_catalogue(DemoContext(seed=7, customers=0, employees=0, out=lambda s: None))
    assert list(Product.objects.order_by("code").values_list("code", "list_price", "cost")) == first
    Product.objects.all().delete()
    for c in ProductCategory.objects.order_by("-depth"):
        c.delete()
    product_catalogue(DemoContext(seed=7, customers=0, employees=0, out=lambda s: None))
    assert list(Product.objects.order_by("code").values_list("code", "list_price", "cost")) == first


def models_f(name):
    from django.db.models import F

    return F(name)
