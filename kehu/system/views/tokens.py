"""Personal API tokens in the browser: your own under the user menu, an employee's from their
page (with *Manage users*). A new token's secret is shown in the answer to the POST that made
it, once, and never stored in clear."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kehu.core.access_rules import LOGGED_IN, access_rule, own

from .. import actions
from ..models import ApiToken, User


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What uses the token, e.g. “ERP sync”."),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty for a token that works until it is revoked."),
    )

    def expires_at(self) -> datetime.datetime | None:
        """The end of the chosen day in the server's time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def _employee(request, pk: int | None) -> User:
    """Yourself, or an employee you may see (404 otherwise) and manage (403 otherwise)."""
    if pk is None or pk == request.user.pk:
        return request.user
    employee = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
    if not actions.may_manage_tokens_of(actor=request.user, user=employee):
        raise PermissionDenied
    return employee


# Own tokens for anyone signed in; an employee's tokens: 404 outside one's view scope of
# employees, 403 without the right to manage them (checked in ``_employee``).
@access_rule(LOGGED_IN)
@never_cache
@login_required
def token_list(request, pk: int | None = None):
    employee = _employee(request, pk)
    form = ApiTokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = actions.create_api_token(
                user=employee,
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(),
                by=request.user,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, messages_ in errors.items():
                form.add_error("expires_on" if field == "expires_at" else field, messages_)
        else:
            form = ApiTokenForm()
    tokens = ApiToken.objects.manageable_by(request.user).filter(user=employee)
    return render(
        request,
        "system/tokens/token_list.html",
        {
            "employee": employee,
            "is_self": employee.pk == request.user.pk,
            "form": form,
            "secret": secret,
            "tokens": tokens,
        },
    )


@access_rule(own("system.apitoken"))
@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(
        ApiToken.objects.manageable_by(request.user).select_related("user"), pk=pk
    )
    actions.revoke_api_token(token=token, by=request.user)
    messages.success(request, _("Revoked the API token “%(name)s”.") % {"name": token.name})
    if token.user_id == request.user.pk:
        return redirect("system:token_list")
    return redirect(reverse("system:user_tokens", args=[token.user_id]))


urlpatterns = [
    path("tokens/", token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", token_revoke, name="token_revoke"),
    path("employees/<int:pk>/tokens/", token_list, name="user_tokens"),
]
