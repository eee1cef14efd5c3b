"""The shell around the modules: login with lockout, home, search, inbox, jobs, audit, health."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from .access_rules import FROM_PATH, LOGGED_IN, PUBLIC, access_rule, own, record, special
from .actions import mark_notifications_read
from .forms import LoginForm
from .models import Attachment, AuditLog, BackgroundJob, Notification
from .permissions import SpecialPermission
from .query import safe_next
from .registry import registry


@access_rule(PUBLIC)
@never_cache
@csrf_protect
def login_view(request):
    """Thin: the backend applies the lockout and counts failures. One message for an unknown
    user, a wrong password and a locked account, so the page reveals neither which usernames
    exist nor which accounts are locked."""
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if user is None:
            form.add_error(
                None,
                _(
                    "Wrong username or password. After repeated failures the account is locked "
                    "for a while: try again later."
                ),
            )
        else:
            login(request, user)
            return redirect(safe_next(request, next_url, "core:home"))
    return render(request, "core/login.html", {"form": form, "next": next_url})


@access_rule(LOGGED_IN)
@login_required
def home(request):
    """ "My day": the dashboard cards the user may see (``registry.dashboard_cards``). Lazy cards
    are empty frames that load themselves (``dashboard_card``); the others render here."""
    from .registry import dashboard_cards

    cards = [
        {"card": card, "html": None if card.lazy else _card_html(request, card)}
        for card in dashboard_cards(request.user)
    ]
    return render(
        request,
        "core/home.html",
        {"cards": [c for c in cards if c["card"].lazy or c["html"]]},
    )


@access_rule(LOGGED_IN)
@login_required
def dashboard_card(request, key: str):
    """One card of the home page (its HTMX request): 404 for an unknown key, 403 for a card
    the user may not see, an empty answer for a card with nothing to show this user."""
    from django.http import HttpResponse

    card = registry.dashboard_cards.get(key)
    if card is None:
        raise Http404
    if not card.allows(request.user):
        raise PermissionDenied
    return HttpResponse(_card_html(request, card) or "")


def _card_html(request, card) -> str:
    """The card in its frame (header, size), or "" when it has nothing for this user."""
    from django.template.loader import render_to_string
    from django.utils import timezone

    if card.render is not None:
        body = card.render(request)
    else:
        ctx = card.context(request) if card.context is not None else {}
        if ctx is None:
            return ""
        ctx = {"card": card, "user": request.user, "today": timezone.localdate(), **ctx}
        body = render_to_string(card.template, ctx, request=request)
    if body is None:
        return ""
    return render_to_string(
        "core/dashboard/_card.html", {"card": card, "body": body}, request=request
    )


def module_index(module: str, title, description):
    @access_rule(LOGGED_IN)
    @login_required
    def view(request):
        objects = [
            ot for ot in registry.values() if ot.app_label == module and ot.allows(request.user)
        ]
        links = sorted(
            (
                p
                for p in registry.pages.values()
                if p.module == module and (p.perm is None or request.user.has_perm(p.perm))
            ),
            key=lambda p: p.order,
        )
        return render(
            request,
            "core/module_index.html",
            {
                "module": module,
                "title": title,
                "description": description,
                "object_types": objects,
                "pages": links,
            },
        )

    return view


@access_rule(LOGGED_IN)
@login_required
def search(request):
    """Global search over every registered object type, always through ``visible_to``.

    Customers and contacts (``Searchable`` models) use the indexed search and its ranking;
    other types fall back to ``icontains`` on their ``search_fields``.
    """
    from .search import is_searchable, ranked_search

    q = (request.GET.get("q") or "").strip()[:200]
    groups = []
    if q:
        from django.db.models import Q

        from .customfields import custom_search_q, is_opted_in

        for ot in registry.values():
            if not ot.search_fields or not ot.allows(request.user):
                continue
            qs = ot.model.objects.visible_to(request.user).select_related(*ot.select_related)
            extra = custom_search_q(ot.model, q) if is_opted_in(ot.model) else Q()
            if is_searchable(ot.model):
                hits = ranked_search(qs, q, limit=10)
                if extra and len(hits) < 10:  # searchable custom fields (not in the index)
                    found = qs.filter(extra).exclude(pk__in=[h.pk for h in hits])
                    hits += list(found.order_by("-pk")[: 10 - len(hits)])
            else:
                cond = extra
                for f in ot.search_fields:
                    cond |= Q(**{f"{f}__icontains": q})
                hits = list(qs.filter(cond).order_by("-pk")[:10])
            if hits:
                groups.append(
                    {
                        "object_type": ot,
                        "hits": hits,
                        "label": ot.verbose_name_plural(),
                        "more_url": reverse(ot.url_name("list")) + "?" + urlencode({"q": q})
                        if is_searchable(ot.model) and "q" in ot.filterset.base_filters
                        else None,
                    }
                )
    template = (
        "core/_search_results.html" if getattr(request, "htmx", False) else "core/search.html"
    )
    return render(request, template, {"q": q, "groups": groups})


@access_rule(LOGGED_IN)
@login_required
def inbox(request):
    items = Notification.objects.filter(recipient=request.user)
    if request.GET.get("unread"):
        items = items.filter(read_at__isnull=True)
    return render(request, "core/inbox.html", {"items": items[:200]})


@access_rule(own("core.notification"))
@login_required
@require_POST
def mark_read(request, pk=None):
    mark_notifications_read(user=request.user, pk=pk)
    return redirect(safe_next(request, request.POST.get("next"), "core:inbox"))


@access_rule(LOGGED_IN)
@login_required
def jobs(request):
    return render(
        request, "core/jobs.html", {"jobs": BackgroundJob.objects.filter(user=request.user)[:100]}
    )


@access_rule(own("core.backgroundjob"))
@login_required
def job_detail(request, pk):
    job = get_object_or_404(BackgroundJob, pk=pk, user=request.user)
    template = (
        "core/_job_progress.html" if getattr(request, "htmx", False) else "core/job_detail.html"
    )
    return render(request, template, {"job": job})


@access_rule(own("core.backgroundjob"))
@login_required
def job_download(request, pk):
    job = get_object_or_404(BackgroundJob, pk=pk, user=request.user)
    if not job.result_file:
        raise Http404
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name)


@access_rule(record("core.attachment"))
@login_required
def attachment_download(request, token):
    """Serve an attachment only to users who may see the record it is attached to: the record
    type's view permission (403 without it) and the record in their view scope (404 outside)."""
    from .actions import may_see_record

    att = get_object_or_404(Attachment.objects.select_related("content_type"), token=token)
    allowed = may_see_record(request.user, att.content_type.model_class(), att.object_id)
    if allowed is None:
        raise Http404
    if not allowed:
        raise PermissionDenied
    response = FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)
    response["Content-Type"] = "application/octet-stream"
    return response


def _attachment_target(request, label: str, pk: int):
    """The record ``label``/``pk`` the user may see (404 outside the view scope or for an
    unknown type, 403 without the type's view permission) and its object type."""
    ot = registry.get(label)
    if ot is None or not hasattr(ot.model.objects, "visible_to"):
        raise Http404
    if not ot.allows(request.user, "view"):
        raise PermissionDenied
    return ot, get_object_or_404(ot.model.objects.visible_to(request.user), pk=pk)


def _attachment_card(request, obj, **kwargs):
    from .actions import attachment_panel

    return render(
        request, "core/_attachments.html", attachment_panel(obj, user=request.user, **kwargs)
    )


@access_rule(record(FROM_PATH))
@login_required
def attachment_card(request, label: str, pk: int):
    """The attachments card of a record (HTMX refresh): the files the user may see."""
    _ot, obj = _attachment_target(request, label, pk)
    return _attachment_card(request, obj)


@access_rule(record(FROM_PATH))
@login_required
@require_POST
def attachment_upload(request, label: str, pk: int):
    """Attach files to a record the user may edit (404 outside view scope, 403 outside edit).
    Each file goes through the upload check; refusals are said in the card (HTMX) or as
    messages on the record's page."""
    from django.core.exceptions import ValidationError

    from .actions import add_attachment, may_edit_record

    ot, obj = _attachment_target(request, label, pk)
    if not may_edit_record(request.user, obj):
        raise PermissionDenied
    uploads = request.FILES.getlist("file")
    errors, added = [], []
    if not uploads:
        errors.append(_("Choose a file to attach."))
    for upload in uploads[:20]:
        try:
            add_attachment(target=obj, upload=upload)
        except ValidationError as exc:
            errors.append(f"{upload.name}: {exc.messages[0]}")
        else:
            added.append(upload.name)
    if getattr(request, "htmx", False):
        return _attachment_card(request, obj, errors=errors, added=added)
    for error in errors:
        messages.error(request, error)
    for name in added:
        messages.success(request, _("Attached %(name)s.") % {"name": name})
    return redirect(ot.url_name("detail"), pk=obj.pk)


@access_rule(record("core.attachment"))
@login_required
@require_POST
def attachment_delete(request, token):
    """Remove a file: whoever may edit the record it is attached to (404 when the record is
    not visible, 403 when it is but may not be edited)."""
    from .actions import delete_attachment, may_edit_record, may_see_record

    att = get_object_or_404(Attachment.objects.select_related("content_type"), token=token)
    model = att.content_type.model_class()
    allowed = may_see_record(request.user, model, att.object_id)
    if allowed is None:
        raise Http404
    if not allowed:
        raise PermissionDenied
    obj = model.objects.visible_to(request.user).get(pk=att.object_id)
    if not may_edit_record(request.user, obj):
        raise PermissionDenied
    name = att.name
    delete_attachment(attachment=att)
    if getattr(request, "htmx", False):
        return _attachment_card(request, obj)
    messages.success(request, _("Removed %(name)s.") % {"name": name})
    ot = registry.get(model._meta.label_lower)
    return redirect(ot.url_name("detail"), pk=obj.pk)


@access_rule(special(SpecialPermission.VIEW_AUDIT))
@login_required
@permission_required(SpecialPermission.VIEW_AUDIT, raise_exception=True)
def audit_log(request):
    """The trail the user may read (``AuditLog.objects.visible_to``), newest first, 50 entries a
    page (keyset cursors on the timestamp index), filtered by person, action, record type and
    dates; field labels and values as people read them (``core.history``), values the user may
    not see left out. A bad filter answers 400 with the form's message."""
    from .filters import AuditLogFilterSet
    from .history import readable_entries
    from .pagination import keyset_page

    entries = AuditLog.objects.visible_to(request.user).select_related("user", "content_type")
    filterset = AuditLogFilterSet(request.GET or None, queryset=entries, user=request.user)
    valid = not filterset.is_bound or filterset.is_valid()
    page = None
    rows = []
    if valid:
        page = keyset_page(
            filterset.qs,
            sort="-timestamp",
            page_size=AUDIT_PAGE,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            count=False,
        )
        rows = readable_entries(page.rows, request.user)
    params = request.GET.copy()
    for key in ("after", "before"):
        params.pop(key, None)

    def url(**extra):
        p = params.copy()
        p.update(extra)
        return "?" + p.urlencode()

    return render(
        request,
        "core/audit_log.html",
        {
            "rows": rows,
            "filterset": filterset,
            "next_url": url(after=page.next_cursor) if page and page.next_cursor else None,
            "prev_url": url(before=page.prev_cursor) if page and page.prev_cursor else None,
            "first_url": "?" + params.urlencode() if page and not page.is_first else None,
            "filtered": any(v for k, v in params.items()),
        },
        status=200 if valid else 400,
    )


AUDIT_PAGE = 50


@access_rule(PUBLIC)
def health(request):
    """Liveness and readiness for a load balancer: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        ok = True
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        ok = False
    return JsonResponse(
        {"status": "ok" if ok else "error", "database": ok}, status=200 if ok else 503
    )


def page_not_found(request, exception=None):
    """404 in the site's layout and the user's language, with the way back (home, search)."""
    return render(request, "core/404.html", {"path": request.path}, status=404)


def server_error(request):
    """500 in the site's layout when it can still be drawn; the page needs the database (the
    navigation, the unread count), so when that is what failed, a standalone page without it."""
    from django.http import HttpResponseServerError
    from django.template.loader import render_to_string

    try:
        return render(request, "core/500.html", status=500)
    except Exception:  # noqa: BLE001 - whatever broke the request may break the layout too
        return HttpResponseServerError(render_to_string("core/500_plain.html"))


def permission_denied(request, exception=None):
    return render(request, "core/403.html", status=403)


def bad_request(request, exception=None):
    """400 with the reason when we gave one (``BadInput``): a page, or JSON under /api/."""
    from .errors import BadInput

    message = exception.message if isinstance(exception, BadInput) else None
    if request.path.startswith("/api/"):
        body = {"detail": message or _("Bad request.")}
        if isinstance(exception, BadInput) and exception.field:
            body = {exception.field: [message]}
        return JsonResponse(body, status=400)
    return render(request, "core/400.html", {"message": message}, status=400)


def forbid(message: str):
    raise PermissionDenied(message)
