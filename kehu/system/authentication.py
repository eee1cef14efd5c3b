"""API authentication with personal tokens (``Authorization: Bearer <token>``, or ``Token``).

HTTP Basic is deliberately not offered: it took a password on every request outside the login
lockout. The browser UI uses the session; integrations use revocable tokens (``/api/tokens/``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # not ours: the session may still authenticate
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as “Authorization: Bearer <token>”.")
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeError:
            raw = ""
        from kehu.core.context import act_as_authenticated

        from .actions.auth import authenticate_api_token

        token = authenticate_api_token(raw=raw) if raw else None
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API token."))
        act_as_authenticated(token.user)  # audit and created_by name the token's employee
        return token.user, token

    def authenticate_header(self, request) -> str:
        """Makes unauthenticated API requests answer 401 with a challenge (not 403)."""
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token in the OpenAPI schema (drf-spectacular)."""

    target_class = "kehu.system.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": _(
                "A personal API token, made under the user menu → API tokens or with "
                "POST /api/tokens/."
            ),
        }
