"""The import's summary and error-report name are in the reader's language, not the one the
background job ran in (issue 16: they stayed Chinese on the English UI)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from kehu.core.models import ImportRun

from .test_imports import GOOD, csv_bytes, new_run, run_now


@pytest.mark.django_db
def test_summary_and_error_file_name_follow_the_readers_language(
    client, make_user, django_capture_on_commit_callbacks
):
    manager = make_user("sales_manager", "a1")
    rows = [*GOOD, ["", "", "x", "", "", "", "", "", ""]]
    with translation.override("zh-hans"):  # the worker's language
        run = run_now(new_run(manager, csv_bytes(rows)), django_capture_on_commit_callbacks)
    assert run.status == ImportRun.Status.DONE and run.errors == 1
    assert "行" in run.message  # stored in Chinese
    client.force_login(manager)
    url = reverse("core:import_result", args=[run.pk])
    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert "rows:" in page and "with errors" in page and "客户-errors.csv" in page
    report = client.get(reverse("core:import_errors", args=[run.pk]))
    assert "errors.csv" in report["Content-Disposition"]
    assert "%E9%94%99%E8%AF%AF" not in report["Content-Disposition"]  # no 错误
    client.cookies["django_language"] = "zh-hans"
    page = client.get(url).content.decode()
    assert "客户-错误.csv" in page and "rows:" not in page
