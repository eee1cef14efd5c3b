"""Attachments get a random token for their URLs; existing rows each get their own."""

import uuid

from django.db import migrations, models


def fill_tokens(apps, schema_editor):
    Attachment = apps.get_model("core", "Attachment")
    batch = []
    for att in Attachment.objects.filter(token__isnull=True).only("pk").iterator():
        att.token = uuid.uuid4()
        batch.append(att)
        if len(batch) >= 1000:
            Attachment.objects.bulk_update(batch, ["token"])
            batch = []
    if batch:
        Attachment.objects.bulk_update(batch, ["token"])


class Migration(migrations.Migration):
    dependencies = [("core", "0005_numbering")]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="token",
            field=models.UUIDField(editable=False, null=True, verbose_name="token"),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="attachment",
            name="token",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, unique=True, verbose_name="token"
            ),
        ),
    ]
