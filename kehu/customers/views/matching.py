"""The duplicate review queue (疑似重复) and the duplicate check on the create forms."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from kehu.core.access_rules import access_rule, perm, record, special
from kehu.core.actions import start_job
from kehu.core.permissions import SpecialPermission
from kehu.core.views import ObjectEditView

from ..actions import matching as actions
from ..models import DuplicateCandidate
from .customer import ContactEditView

VIEW_PERM = "customers.view_duplicatecandidate"
CHANGE_PERM = "customers.change_duplicatecandidate"


def merge_url(candidate: DuplicateCandidate) -> str | None:
    """The merge page of the pair, when the merge module is installed (its URL resolves)."""
    name = (
        "customers:customer_merge"
        if candidate.kind == DuplicateCandidate.Kind.CUSTOMER
        else "customers:contact_merge"
    )
    try:
        base = reverse(name)
    except NoReverseMatch:
        return None
    return base + "?" + urlencode([("ids", i) for i in candidate.record_ids])


def _rows(candidate: DuplicateCandidate) -> list[tuple[str, object, object]]:
    """Side-by-side rows: label, value of A, value of B."""
    a, b = candidate.records
    if candidate.kind == DuplicateCandidate.Kind.CUSTOMER:
        fields = [
            (_("Number"), "number"),
            (_("Kind"), "get_kind_display"),
            (_("Phone"), "phone"),
            (_("E-mail"), "email"),
            (_("City"), "city"),
            (_("Address"), "address"),
            (_("Owner"), "owner"),
        ]
    else:
        fields = [
            (_("Customer"), "customer"),
            (_("Mobile"), "mobile"),
            (_("Office phone"), "office_phone"),
            (_("E-mail"), "email"),
            (_("Job title"), "title"),
        ]

    def value(obj, attr):
        v = getattr(obj, attr)
        return v() if callable(v) else v

    return [(label, value(a, attr), value(b, attr)) for label, attr in fields]


FIELD_LABELS = {
    "name": gettext_lazy("name"),
    "phone": gettext_lazy("phone"),
    "email": gettext_lazy("e-mail"),
    "address": gettext_lazy("address"),
    "company": gettext_lazy("company"),
    "dob": gettext_lazy("birth date"),
    "place": gettext_lazy("place"),
}
#: comparison levels and ways of matching (``kehu.customers.linkage.LEVELS``, ``matching``)
HOW_LABELS = {
    "exact": gettext_lazy("exact"),
    "local": gettext_lazy("same local number"),
    "different": gettext_lazy("different"),
    "pinyin": gettext_lazy("pinyin"),
    "transposed": gettext_lazy("transposed characters"),
    "abbreviation": gettext_lazy("abbreviation"),
    "similar": gettext_lazy("similar"),
    "close": gettext_lazy("fairly similar"),
    "same customer": gettext_lazy("same customer"),
    "same local part": gettext_lazy("same mailbox name"),
    "local part": gettext_lazy("same mailbox name"),
    "swapped": gettext_lazy("given and family name swapped"),
    "one part, other missing": gettext_lazy("one name part agrees, the other is missing"),
    "one part, other differs": gettext_lazy("one name part agrees, the other differs"),
    "typo": gettext_lazy("typo"),
    "two typos": gettext_lazy("two typos"),
    "same year": gettext_lazy("same year"),
    "partial": gettext_lazy("partly the same"),
    "postcode and town": gettext_lazy("same postcode and town"),
    "postcode": gettext_lazy("same postcode"),
    "town": gettext_lazy("same town"),
    "near": gettext_lazy("nearly the same"),
    "same state": gettext_lazy("same province or state"),
    "missing": gettext_lazy("missing"),
    "other region": gettext_lazy("other region"),
    "other trade": gettext_lazy("other trade"),
}
#: A name is "exact" once normalised (厦门辰远 / 廈門辰遠, case, legal form): say so.
NAME_EXACT = gettext_lazy("same after normalisation")


def components(explanation: dict) -> list[dict]:
    """The explanation's fields with translated labels, for the badges and the table: the
    field's level (how it compared), its 0–1 similarity and its weight — log2(m/u), positive
    for a duplicate, negative against (absent in explanations stored before the model)."""
    out = []
    weights = explanation.get("weights") or {}
    for name, comp in (explanation.get("fields") or {}).items():
        how = str(comp.get("how", ""))
        hows = [
            str(
                NAME_EXACT
                if name == "name" and h.strip() == "exact"
                else HOW_LABELS.get(h.strip(), h.strip())
            )
            for h in how.split(",")
            if h.strip()
        ]
        score = float(comp.get("score", 0))
        weight = weights.get(name)
        weight = float(weight) if weight is not None else None
        out.append(
            {
                "label": FIELD_LABELS.get(name, name),
                "score": score,
                "how": "，".join(hows) if hows else "",
                "weight": weight,
                "sign": (
                    ""
                    if weight is None
                    else "success"
                    if weight > 0
                    else "danger"
                    if weight < 0
                    else "secondary"
                ),
                "level": "success" if score >= 0.9 else "warning" if score >= 0.6 else "secondary",
            }
        )
    return out


def decorate(candidate: DuplicateCandidate, user) -> DuplicateCandidate:
    candidate.rows = _rows(candidate)
    candidate.components = components(candidate.explanation)
    candidate.match_weight = (candidate.explanation or {}).get("match_weight")
    can_merge = user.has_perm(SpecialPermission.MERGE)
    candidate.merge_url = merge_url(candidate) if can_merge else None
    return candidate


def visible_candidates(user):
    return DuplicateCandidate.objects.visible_to(user).select_related(
        "customer_a__owner",
        "customer_b__owner",
        "contact_a__customer",
        "contact_b__customer",
        "decided_by",
    )


@access_rule(perm(VIEW_PERM))
class DuplicateListView(LoginRequiredMixin, TemplateView):
    """Open pairs the user may see both sides of, best score first; HTMX swaps the rows."""

    template_name = "customers/duplicate_list.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(VIEW_PERM):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:
            return ["customers/_duplicate_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        kind = self.request.GET.get("kind")
        kind = kind if kind in DuplicateCandidate.Kind.values else DuplicateCandidate.Kind.CUSTOMER
        status = self.request.GET.get("status")
        status = status if status in DuplicateCandidate.Status.values else "open"
        qs = visible_candidates(user).filter(kind=kind, status=status).order_by("-score", "pk")
        page = Paginator(qs, 20).get_page(self.request.GET.get("page"))
        ctx.update(
            kind=kind,
            status=status,
            kinds=DuplicateCandidate.Kind.choices,
            statuses=DuplicateCandidate.Status.choices,
            page=page,
            candidates=[decorate(c, user) for c in page.object_list],
            can_decide=user.has_perm(CHANGE_PERM),
            can_scan=user.has_perm(SpecialPermission.MERGE),
        )
        return ctx


@access_rule(record("customers.duplicatecandidate", CHANGE_PERM))
class DismissCandidateView(LoginRequiredMixin, View):
    """Dismiss one pair (audited); HTMX gets the updated card, a plain form a redirect."""

    def post(self, request, pk: int):
        if not request.user.has_perm(CHANGE_PERM):
            raise PermissionDenied
        candidate = get_object_or_404(visible_candidates(request.user), pk=pk)
        htmx = bool(getattr(request, "htmx", False))
        try:
            actions.dismiss_candidate(candidate=candidate, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if not htmx:  # the swapped card shows the decision itself
                messages.success(request, _("Dismissed: %(pair)s.") % {"pair": candidate})
        if htmx:
            from django.shortcuts import render

            return render(
                request,
                "customers/_duplicate_card.html",
                {"c": decorate(candidate, request.user), "can_decide": False},
            )
        return redirect(reverse("customers:duplicate_list") + f"?kind={candidate.kind}")


@access_rule(special(SpecialPermission.MERGE))
class ScanDuplicatesView(LoginRequiredMixin, View):
    """Start a scan in the background (managers who may merge)."""

    def post(self, request):
        if not request.user.has_perm(SpecialPermission.MERGE):
            raise PermissionDenied
        from ..tasks.matching import scan_duplicates_job

        job = start_job(
            user=request.user,
            kind="scan_duplicates",
            title=_("Scan for duplicates"),
            task=scan_duplicates_job,
            params={"full": request.POST.get("full") == "1"},
        )
        return redirect("core:job_detail", pk=job.pk)


class DuplicateCheckMixin:
    """On create, a valid form is first checked for likely duplicates among the records the
    user may see; they are shown with scores and links, and "Create anyway" saves.

    Customers are also checked company-wide (撞单/查重, ``actions.find_elsewhere``): one
    outside the user's scope with the same name (a company) or the same phone cannot be
    created — the form says who owns it, and nothing else of it, and offers to ask them for a
    share; a merely similar one is a warning like the visible duplicates."""

    template_name = "customers/object_form_checked.html"

    def post(self, request, *args, **kwargs):
        if "pk" in kwargs:
            return super().post(request, *args, **kwargs)
        form = self.object_type.form(request.POST, request.FILES, instance=None, user=request.user)
        if not form.is_valid():
            return super().post(request, *args, **kwargs)
        model = self.object_type.model
        elsewhere = actions.find_elsewhere(form.cleaned_data, user=request.user, model=model)
        if any(m.exact for m in elsewhere):
            messages.error(
                request, _("This customer already exists: see the note at the end of the form.")
            )
            return self.render_to_response(
                self.get_context_data(form=form, elsewhere=elsewhere, blocked=True, **kwargs)
            )
        if request.POST.get("confirm_duplicates") == "1":
            return super().post(request, *args, **kwargs)
        matches = actions.find_matches(form.cleaned_data, model=model, user=request.user)
        if matches or elsewhere:
            messages.warning(
                request, _("Possible duplicates found: see the list at the end of the form.")
            )
            for m in matches:
                m.record.components = components(m.explanation)
            return self.render_to_response(
                self.get_context_data(form=form, duplicates=matches, elsewhere=elsewhere, **kwargs)
            )
        return super().post(request, *args, **kwargs)


#: The fields of the create form a share request matches on again (the same values as the
#: refused creation: nothing of the other record travels through the page).
SHARE_REQUEST_FIELDS = ("name", "kind", "phone", "fax", "email", "city", "address", "postcode")


@access_rule(perm("customers.add_customer"))
class CustomerShareRequestView(LoginRequiredMixin, View):
    """ "Ask for a share" on the create form: the owners of the matching customers outside the
    user's scope get a notice with a link to share it (``actions.request_share``)."""

    http_method_names = ["post"]

    def post(self, request):
        if not request.user.has_perm("customers.add_customer"):
            raise PermissionDenied
        values = {f: request.POST.get(f, "").strip() for f in SHARE_REQUEST_FIELDS}
        raw = request.POST.get("share_index", "")
        index = int(raw) if raw.isdigit() and int(raw) < actions.ELSEWHERE_LIMIT else None
        try:
            owners = actions.request_share(values=values, user=request.user, index=index)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _(
                    "Your request was sent to %(owners)s; you will see the customer once it is shared."
                )
                % {"owners": "、".join(owners)},
            )
        return redirect("customers:customer_list")


class CustomerCreateView(DuplicateCheckMixin, ObjectEditView):
    pass


class ContactCreateView(DuplicateCheckMixin, ContactEditView):
    pass
