"""Lead pages beyond the generic ones: the list's bulk assignment, the lead page's quick status
change, the conversion page, the web form's embed snippet and the public form itself."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kehu.core.access_rules import PUBLIC, access_rule, record
from kehu.core.views import ObjectDetailView, ObjectListView
from kehu.customers.views.reassign import bulk_reassign

from ..actions import leads as actions
from ..forms.leads import ConvertForm, PublicLeadForm
from ..models.leads import Lead, WebForm


def _assigned(n: int, owner) -> str:
    return ngettext(
        "%(count)s lead given to %(owner)s.", "%(count)s leads given to %(owner)s.", n
    ) % {"count": n, "owner": owner}


class LeadListView(ObjectListView):
    """The generic list plus "Reassign selected" for people who may give leads away."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        if user.has_perm("sales.change_lead"):
            people = list(actions.lead_assignees(user))
            if len(people) > 1:
                ctx["bulk_reassign"] = {"url": reverse("sales:lead_assign"), "people": people}
        return ctx


@access_rule(record("sales.lead", "sales.change_lead"))
@login_required
@require_POST
def lead_bulk_assign(request):
    return bulk_reassign(
        request,
        model=Lead,
        perm="sales.change_lead",
        reassign=lambda chosen, owner, user: actions.assign_leads(
            leads=chosen, owner=owner, user=user
        ),
        back=reverse("sales:lead_list"),
        nothing=_("Select the leads to reassign."),
        done=_assigned,
    )


class LeadDetailView(ObjectDetailView):
    """The generic detail plus what the lead became and the conversion/status buttons."""

    def get_template_names(self):
        return ["sales/leads/lead_detail.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        lead = ctx["object"]
        user = self.request.user
        editable = ctx["can_change"] and (
            Lead.objects.editable_by(user).filter(pk=lead.pk).exists()
        )
        ctx["can_convert"] = editable and lead.is_open
        ctx["can_mark_contacted"] = editable and lead.status == Lead.Status.NEW
        from kehu.customers.models import Customer

        ctx["converted_customer"] = (
            Customer.objects.visible_to(user).filter(pk=lead.converted_customer_id).first()
            if lead.converted_customer_id
            else None
        )
        return ctx


@access_rule(record("sales.lead", "sales.change_lead"))
@login_required
@require_POST
def lead_contacted(request, pk: int):
    """ "Contacted": a new lead moves on (and its last contact is now)."""
    if not request.user.has_perm("sales.change_lead"):
        raise PermissionDenied
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    if not Lead.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    from kehu.core.registry import get_object_type

    try:
        get_object_type(Lead).actions.update(
            user=request.user, obj=lead, data={"status": Lead.Status.CONTACTED}
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Marked as contacted."))
    return redirect(lead.get_absolute_url())


@access_rule(record("sales.lead", "sales.change_lead"))
@login_required
@require_http_methods(["GET", "POST"])
def lead_convert(request, pk: int):
    """Qualify and convert: the duplicate check against existing customers, then a new or an
    existing customer, a contact and optionally an opportunity, in one step."""
    user = request.user
    if not user.has_perm("sales.change_lead"):
        raise PermissionDenied
    lead = get_object_or_404(Lead.objects.visible_to(user).select_related("owner"), pk=pk)
    if not Lead.objects.editable_by(user).filter(pk=pk).exists():
        raise PermissionDenied
    if lead.status == Lead.Status.CONVERTED:
        messages.info(request, _("This lead has already been converted."))
        return redirect(lead.get_absolute_url())
    duplicates = actions.customer_duplicates(lead, user=user)
    from kehu.customers.views.matching import components

    for duplicate in duplicates:
        duplicate.components = components(duplicate.explanation)
    initial = {"opportunity_name": lead.company or lead.name}
    visible_dupes = [d for d in duplicates if d.visible]
    if visible_dupes:
        from kehu.customers.models import Customer

        best = Customer.objects.filter(pk=visible_dupes[0].customer_id).values_list(
            "number", flat=True
        )
        initial.update(customer_choice=ConvertForm.EXISTING, customer_number=best.first() or "")
    form = ConvertForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                lead = actions.convert_lead(
                    lead=lead,
                    user=user,
                    customer=data["customer_obj"],
                    create_opportunity=data["create_opportunity"],
                    opportunity_name=data.get("opportunity_name") or "",
                    amount=data.get("amount"),
                    expected_close=data.get("expected_close"),
                )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not do this."))
        else:
            messages.success(request, _("Lead converted."))
            return redirect(lead.converted_customer.get_absolute_url())
    return render(
        request,
        "sales/leads/lead_convert.html",
        {
            "lead": lead,
            "form": form,
            "duplicates": duplicates,
            "can_opportunity": user.has_perm("sales.add_opportunity"),
            "list_url": reverse("sales:lead_list"),
        },
        status=400 if request.method == "POST" else 200,
    )


class WebFormDetailView(ObjectDetailView):
    """The generic detail plus the addresses and the embed snippets to copy."""

    def get_template_names(self):
        return ["sales/leads/webform_detail.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = ctx["object"]
        page = self.request.build_absolute_uri(reverse("sales:webform_public", args=[form.key]))
        submit = self.request.build_absolute_uri(reverse("sales:webform_submit", args=[form.key]))
        ctx["page_url"] = page
        ctx["submit_url"] = submit
        ctx["iframe_snippet"] = (
            f'<iframe src="{page}" title="{form.title or form.name}" '
            'style="width:100%;max-width:560px;height:640px;border:0"></iframe>'
        )
        ctx["html_snippet"] = (
            f'<form method="post" action="{submit}">\n'
            '  <input name="name" required> <input name="company"> <input name="mobile">\n'
            '  <input name="email" type="email"> <input name="city"> <textarea name="notes"></textarea>\n'
            '  <input name="website" style="display:none" tabindex="-1" autocomplete="off">\n'
            "  <button>Send</button>\n</form>"
        )
        ctx["lead_count"] = form.leads.count()
        return ctx


# --- the public form ------------------------------------------------------------------------


def client_ip(request) -> str:
    """The visitor's address (behind a proxy: the first X-Forwarded-For address when the
    deployment says it is behind one, ``KEHU_BEHIND_PROXY``)."""
    from django.conf import settings

    if getattr(settings, "KEHU_BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return (request.META.get("REMOTE_ADDR") or "unknown")[:64]


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _visitor_language(request) -> None:
    """The embedding website says the visitor's language with ``?lang=en`` (a browser's
    Accept-Language is ignored on pages, Chinese being the default; a chosen language cookie
    counts)."""
    from django.conf import settings
    from django.utils import translation

    lang = (request.GET.get("lang") or "").lower()
    if lang in dict(settings.LANGUAGES):
        translation.activate(lang)
        request.LANGUAGE_CODE = lang


def _public(request, token: str, *, embed: bool):
    _visitor_language(request)
    form_obj = WebForm.objects.filter(key=token, active=True).first()
    if form_obj is None:
        raise Http404
    context = {"web_form": form_obj, "embed": embed}
    if request.method == "GET":
        context["form"] = PublicLeadForm()
        return render(request, "sales/leads/webform_public.html", context)
    form = PublicLeadForm(request.POST)
    if form.is_bot:  # a honeypot filled in: look successful, keep nothing
        return _thanks(request, context, form_obj)
    if not actions.web_form_rate_ok(client_ip(request)):
        message = _("Too many submissions from your address. Please try again later.")
        if _wants_json(request):
            return JsonResponse({"detail": message}, status=429)
        context.update(form=form, error=message)
        return render(request, "sales/leads/webform_public.html", context, status=429)
    if form.is_valid():
        try:
            actions.submit_web_form(form=form_obj, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _thanks(request, context, form_obj)
    if _wants_json(request):
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    context["form"] = form
    return render(request, "sales/leads/webform_public.html", context, status=400)


def _thanks(request, context, form_obj):
    message = form_obj.thank_you or _("Thank you! We will get in touch with you soon.")
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": message}, status=201)
    context["thanks"] = message
    return render(request, "sales/leads/webform_public.html", context)


@access_rule(PUBLIC)
@csrf_exempt  # no session or cookie is used: a forged post can do no more than anyone can
@xframe_options_exempt  # meant to be framed by the company's website
@require_http_methods(["GET", "POST"])
def webform_public(request, token: str):
    """The form page a website embeds in an iframe (and posts back to)."""
    response = _public(request, token, embed=True)
    response._csp_replace = {"frame-ancestors": ["*"], "form-action": ["'self'"]}
    return response


@access_rule(PUBLIC)
@csrf_exempt  # no session or cookie is used: a forged post can do no more than anyone can
@require_http_methods(["GET", "POST"])
def webform_submit(request, token: str):
    """The address a website's own HTML form (or script) posts to; JSON with
    ``Accept: application/json``."""
    return _public(request, token, embed=False)
