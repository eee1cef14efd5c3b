"""The customer self-service portal's pages and the staff page that invites a contact.

Portal pages are declared ``PORTAL`` (a public route as far as staff sign-in goes: the check is
the portal session, :func:`kehu.service.actions.portal.current_account`). Without a portal
session they send the visitor to the portal sign-in; a request of another customer answers 404
exactly like an id that does not exist."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access_rules import AccessRule, Kind, access_rule, record

from ..actions import portal as acts
from ..forms.portal import CommentForm, PortalLoginForm, PortalRequestForm, SetPasswordForm
from ..models import PortalAccount, ServiceRequest
from .requests import PRIORITY_COLOURS, STATUS_COLOURS

#: Portal pages: no staff sign-in (every staff user is anonymous here and every portal account
#: is anonymous on staff pages); the portal session decides, records come only from
#: ``portal_requests(account)``.
PORTAL = AccessRule(Kind.PUBLIC)
PORTAL_REQUEST = AccessRule(Kind.PUBLIC, "service.servicerequest")


def portal_page(view):
    """Needs a portal session: otherwise to the portal sign-in (``next`` kept)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        account = acts.current_account(request)
        if account is None:
            return redirect(f"{reverse('service:portal_login')}?next={request.path}")
        request.portal_account = account
        return view(request, *args, **kwargs)

    return wrapper


def _own_request(request, pk: int) -> ServiceRequest:
    return get_object_or_404(
        acts.portal_requests(request.portal_account).select_related("contact"), pk=pk
    )


def _context(request, **kw) -> dict:
    return {"account": getattr(request, "portal_account", None), **kw}


@access_rule(PORTAL)
@never_cache
@require_http_methods(["GET", "POST"])
def portal_login(request):
    form = PortalLoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        account = acts.authenticate(
            email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if account is not None:
            acts.sign_in(request, account)
            target = request.POST.get("next") or ""
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}
            ) or not target.startswith(reverse("service:portal_requests")):
                target = reverse("service:portal_requests")
            return redirect(target)
        error = _("The e-mail address or password is not right, or the account is locked.")
    return render(
        request,
        "service/portal/login.html",
        {"form": form, "error": error, "next": request.GET.get("next", "")},
        status=200 if not error else 400,
    )


@access_rule(PORTAL)
@require_POST
def portal_logout(request):
    acts.sign_out(request)
    return redirect("service:portal_login")


@access_rule(PORTAL)
@never_cache
@require_http_methods(["GET", "POST"])
def portal_set_password(request, token: str):
    try:
        account = acts.account_for_password_token(token)
    except ValidationError as exc:
        code = 410 if exc.code == acts.PortalError.EXPIRED_LINK else 404
        return render(
            request, "service/portal/link_error.html", {"message": exc.messages[0]}, status=code
        )
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = acts.set_password(account=account, password=form.cleaned_data["password"])
        except ValidationError as exc:
            form.add_error("password", exc)
        else:
            acts.sign_in(request, account)
            messages.success(request, _("Your password is set. Welcome!"))
            return redirect("service:portal_requests")
    return render(
        request,
        "service/portal/set_password.html",
        {"form": form, "email": account.email},
        status=400 if form.errors else 200,
    )


@access_rule(PORTAL)
@never_cache
@portal_page
def portal_requests(request):
    rows = list(
        acts.portal_requests(request.portal_account)
        .select_related("contact")
        .order_by("-created_at", "-pk")[:200]
    )
    for r in rows:
        r.status_colour = STATUS_COLOURS.get(r.status, "secondary")
    return render(request, "service/portal/request_list.html", _context(request, rows=rows))


@access_rule(PORTAL)
@never_cache
@portal_page
@require_http_methods(["GET", "POST"])
def portal_request_new(request):
    form = PortalRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            req = acts.open_request(account=request.portal_account, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Request %(number)s is opened. We will answer soon.") % {"number": req.number},
            )
            return redirect("service:portal_request", pk=req.pk)
    return render(
        request,
        "service/portal/request_form.html",
        _context(request, form=form),
        status=400 if form.errors else 200,
    )


@access_rule(PORTAL_REQUEST)
@never_cache
@portal_page
@require_http_methods(["GET", "POST"])
def portal_request(request, pk: int):
    req = _own_request(request, pk)
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            acts.add_comment(
                request=req, text=form.cleaned_data["text"], account=request.portal_account
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your comment is added."))
            return redirect("service:portal_request", pk=req.pk)
    comments = req.comments.select_related("account", "author").order_by("created_at", "pk")
    return render(
        request,
        "service/portal/request_detail.html",
        _context(
            request,
            req=req,
            form=form,
            comments=comments,
            status_colour=STATUS_COLOURS.get(req.status, "secondary"),
            priority_colour=PRIORITY_COLOURS.get(req.priority, "secondary"),
            closed=req.status == ServiceRequest.Status.CLOSED,
        ),
        status=400 if form.errors else 200,
    )


# --- Staff: invite a contact ----------------------------------------------------------------------


@access_rule(record("customers.contact", "service.add_portalaccount"))
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def portal_invite(request, pk: int):
    """Invite a contact to the portal: creates the account and shows the one-time link that
    sets the password (once, on this page; it is not stored)."""
    from kehu.customers.models import Contact

    contact = get_object_or_404(
        Contact.objects.visible_to(request.user).select_related("customer"), pk=pk
    )
    if not request.user.has_perm("service.add_portalaccount"):
        raise PermissionDenied
    if not Contact.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    account = PortalAccount.objects.filter(contact=contact).first()
    link = ""
    if request.method == "POST":
        if request.POST.get("op") == "deactivate" and account is not None:
            account = acts.deactivate_account(account=account, user=request.user)
            messages.success(request, _("The portal account is deactivated."))
        else:
            try:
                account, path = acts.invite_contact(contact=contact, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                link = request.build_absolute_uri(path)
    return render(
        request,
        "service/portal/invite.html",
        {"contact": contact, "account": account, "link": link},
    )


@access_rule(record("service.servicerequest", "service.change_servicerequest"))
@login_required
@require_POST
def request_comment(request, pk: int):
    """Staff answer a request's comments (the customer reads them in the portal)."""
    from .requests import _editable

    req = _editable(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a comment."))
        return redirect(req.get_absolute_url())
    try:
        acts.add_comment(request=req, text=form.cleaned_data["text"], author=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(req.get_absolute_url() + "#request-comments")


# --- The portal's JSON API (same session, same rule: the account's customer only) --------------


def portal_api(view):
    """Needs a portal session: otherwise 401 JSON (no redirect for a script)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        account = acts.current_account(request)
        if account is None:
            return JsonResponse({"detail": _("Sign in to the portal first.")}, status=401)
        request.portal_account = account
        return view(request, *args, **kwargs)

    return wrapper


def _request_json(req: ServiceRequest, *, full: bool = False) -> dict:
    data = {
        "id": req.pk,
        "number": req.number,
        "subject": req.subject,
        "status": req.status,
        "status_display": req.get_status_display(),
        "channel": req.channel,
        "created_at": req.created_at.isoformat() if req.created_at else None,
        "resolved_at": req.resolved_at.isoformat() if req.resolved_at else None,
    }
    if full:
        done = req.status in (ServiceRequest.Status.RESOLVED, ServiceRequest.Status.CLOSED)
        data["description"] = req.description
        data["resolution"] = req.resolution if done else ""
        data["comments"] = [
            {
                "text": c.text,
                "created_at": c.created_at.isoformat(),
                "from_customer": c.account_id is not None,
            }
            for c in req.comments.order_by("created_at", "pk")
        ]
    return data


@access_rule(PORTAL)
@never_cache
@portal_api
@require_GET
def portal_api_requests(request):
    rows = acts.portal_requests(request.portal_account).order_by("-created_at", "-pk")[:200]
    return JsonResponse({"results": [_request_json(r) for r in rows]})


@access_rule(PORTAL_REQUEST)
@never_cache
@portal_api
@require_GET
def portal_api_request(request, pk: int):
    req = acts.portal_requests(request.portal_account).filter(pk=pk).first()
    if req is None:
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return JsonResponse(_request_json(req, full=True))
