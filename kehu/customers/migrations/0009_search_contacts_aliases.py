"""Search documents: a contact's now holds its customer's name, pinyin and mnemonic (after a
``#``), and a merged record's holds the aliases its merges left. Rebuilds the contacts' documents
and those of the customers that have aliases (the same rules as the models, frozen here). On
PostgreSQL, adds the statistics the planner needs for the common-piece search path."""

from django.db import migrations


def documents(apps, schema_editor):
    from kehu.core.search import build_document

    db = schema_editor.connection.alias
    Customer = apps.get_model("customers", "Customer")
    Contact = apps.get_model("customers", "Contact")

    def aliases(row):
        return list(row.aliases.all())

    def customer(c):
        found = aliases(c)
        return build_document(
            name=c.name,
            codes=[c.mnemonic, c.number, *(a.number for a in found)],
            phones=[c.phone, c.fax, c.finance_phone, *(a.phone for a in found)],
            emails=[c.email, *(a.email for a in found)],
            other_names=[a.name for a in found],
        )

    def contact(c):
        found = aliases(c)
        return build_document(
            name=c.name,
            phones=[c.mobile, c.office_phone, c.home_phone, *(a.phone for a in found)],
            emails=[c.email, *(a.email for a in found)],
            other_names=[a.name for a in found],
            related_name=c.customer.name,
            related_codes=[c.customer.mnemonic],
        )

    jobs = (
        (Customer.objects.using(db).filter(aliases__isnull=False).distinct(), customer),
        (Contact.objects.using(db).select_related("customer"), contact),
    )
    for qs, build in jobs:
        qs = qs.prefetch_related("aliases").order_by("pk")
        last = 0
        while True:
            rows = list(qs.filter(pk__gt=last)[:2000])
            if not rows:
                break
            last = rows[-1].pk
            for row in rows:
                row.search_text, row.search_grams = build(row)
            qs.model.objects.using(db).bulk_update(rows, ["search_text", "search_grams"])


def statistics(apps, schema_editor):
    """PostgreSQL: the statistics of the row-by-row search tests (``install_search_index``)."""
    from kehu.core.search import install_search_index

    connection = schema_editor.connection
    for table in ("customers_customer", "customers_contact"):
        install_search_index(connection, table)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_search"),
    ]

    operations = [
        migrations.RunPython(documents, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(statistics, migrations.RunPython.noop),
    ]
