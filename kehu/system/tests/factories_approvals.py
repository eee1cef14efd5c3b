"""Test factories: approval requests (see kehu.core.testing.factory) on a holiday record, of a
kind registered here (the route matrix probes the approvals pages with them)."""

from __future__ import annotations

import datetime
import itertools

from django.utils.translation import gettext_lazy as _

from kehu.core.testing import factory
from kehu.system.approvals import ApprovalKind, register_approval_kind, request_approval
from kehu.system.models import Holiday

TEST_KIND = register_approval_kind(
    ApprovalKind(code="system.test_approval", label=_("Approval"), data_labels={"x": "X"})
)
_serial = itertools.count(1)


@factory("system.approvalrequest")
def approval_request(owner, n: int = 1, **kw):
    """A pending request by ``owner`` on a new holiday (its approvers: the usual resolution)."""
    day = Holiday(date=datetime.date(2090, 1, 1) + datetime.timedelta(days=next(_serial)))
    day.name = f"审批测试{owner.pk}-{n}"
    day.save()
    return request_approval(
        record=day,
        kind=kw.pop("kind", TEST_KIND.code),
        requested_by=owner,
        summary=kw.pop("summary", f"机密审批{owner.pk}-{n}"),
        data=kw.pop("data", {"x": n}),
    )
