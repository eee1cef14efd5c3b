"""A segment's editor (the customer list's filters with a live count), its page (count, a
sample, "add to a campaign") and the count endpoint the editor calls as you type."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.core.access_rules import access_rule, perm, record
from kehu.core.views import ObjectDetailView, ObjectEditView

from ..actions.segments import customer_filterset, materialise, segment_customers
from ..models import Campaign, Segment

PREFIX = "f"
SAMPLE = 20


def query_from_post(data, *, user) -> str:
    """The customer filters posted with the ``f-`` prefix, as the list's query string."""
    filterset = customer_filterset(None, user=user)
    pairs = []
    for name in filterset.filters:
        for value in data.getlist(f"{PREFIX}-{name}"):
            if value not in ("", None):
                pairs.append((name, value))
    return urlencode(pairs)


def prefixed(query: str) -> QueryDict:
    """The stored query string with the editor's prefix on every name."""
    out = QueryDict(mutable=True)
    for name, values in QueryDict(query or "").lists():
        out.setlist(f"{PREFIX}-{name}", values)
    return out


def _styled(widget) -> None:
    """Bootstrap classes on a filter widget (the list page styles its own filter bar)."""
    css = widget.attrs.get("class", "")
    if getattr(widget, "input_type", "") == "checkbox":
        wanted = "form-check-input"
    elif getattr(widget, "input_type", "") == "select" or "Select" in type(widget).__name__:
        wanted = "form-select form-select-sm"
    else:
        wanted = "form-control form-control-sm"
    if wanted.split()[0] not in css:
        widget.attrs["class"] = f"{css} {wanted}".strip()


class SegmentEditView(ObjectEditView):
    """The generic form (name, options) plus the customer list's filter form."""

    template_name = "marketing/segment_form.html"

    def get_context_data(self, form=None, **kwargs):
        ctx = super().get_context_data(form=form, **kwargs)
        obj = ctx["object"]
        data = self.request.POST if self.request.method == "POST" else None
        if data is None:
            data = prefixed(obj.query if obj else self.request.GET.urlencode())
        form = customer_filterset(data, user=self.request.user, prefix=PREFIX).form
        for field in form.fields.values():
            _styled(field.widget)
        ctx["filter_form"] = form
        return ctx

    def post(self, request, *args, **kwargs):
        data = request.POST.copy()
        data["query"] = query_from_post(request.POST, user=request.user)
        request.POST = data
        return super().post(request, *args, **kwargs)


class SegmentDetailView(ObjectDetailView):
    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        segment = ctx["object"]
        user = self.request.user
        customers = segment_customers(segment, user=user)
        ctx.update(
            customer_count=customers.count(),
            sample=list(customers.order_by("-pk")[:SAMPLE]),
            campaigns=list(
                Campaign.objects.editable_by(user)
                .exclude(status__in=[Campaign.Status.COMPLETED, Campaign.Status.CANCELLED])
                .order_by("-pk")[:200]
            )
            if user.has_perm("marketing.change_campaign")
            else [],
            list_query=segment.query,
        )
        return ctx


@access_rule(perm("marketing.view_segment"))
@login_required
@require_GET
def segment_count(request):
    """How many customers the editor's filters find (for the reader): an HTMX fragment."""
    if not request.user.has_perm("marketing.view_segment"):
        raise PermissionDenied
    filterset = customer_filterset(request.GET, user=request.user, prefix=PREFIX)
    if not filterset.is_valid():
        return HttpResponse(
            format_html('<span class="text-danger">{}</span>', _("Check the filters.")),
            status=400,
        )
    n = filterset.qs.count()
    return HttpResponse(
        format_html(
            '<span class="fs-4 fw-semibold" data-count="{}">{}</span> {}',
            n,
            f"{n:,}",
            _("customers match now"),
        )
    )


@access_rule(record("marketing.segment", "marketing.view_segment"))
@login_required
@require_POST
def segment_to_campaign(request, pk: int):
    """Add the segment's customers (as the user sees them) to a campaign's members."""
    segment = get_object_or_404(Segment.objects.visible_to(request.user), pk=pk)
    campaign_id = request.POST.get("campaign", "")
    campaign = get_object_or_404(
        Campaign.objects.visible_to(request.user),
        pk=int(campaign_id) if campaign_id.isdigit() else 0,
    )
    try:
        n = materialise(segment=segment, campaign=campaign, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(segment.get_absolute_url())
    messages.success(
        request,
        _("%(n)s customers of %(segment)s added to %(campaign)s.")
        % {"n": n, "segment": segment, "campaign": campaign},
    )
    return redirect(campaign.get_absolute_url() + "#members")
