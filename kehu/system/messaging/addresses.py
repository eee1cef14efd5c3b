"""Recipient addresses per channel: checked and normalised before anything is queued, so a
malformed address is refused with a clear reason instead of failing at the gateway."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .models import Channel

#: Mainland mobile numbers (11 digits from 13x to 19x), optionally with +86, or any E.164 number.
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
#: A WeChat openid / 企业微信 userid: letters, digits, - and _.
_WECHAT = re.compile(r"^[A-Za-z0-9_-]{4,64}$")


def normalize_address(channel: str, address: str) -> str:
    """The canonical form of ``address`` on ``channel`` or a ValidationError saying what is
    wrong (code ``invalid_address``)."""
    raw = (address or "").strip()
    if not raw:
        raise ValidationError(_("The address is empty."), code="invalid_address")
    if any(c in raw for c in "\r\n\x00"):
        raise ValidationError(
            _("The address %(address)r contains a line break.") % {"address": raw[:80]},
            code="invalid_address",
        )
    if channel == Channel.EMAIL:
        try:
            validate_email(raw)
        except ValidationError:
            raise ValidationError(
                _("%(address)s is not a valid e-mail address.") % {"address": raw[:254]},
                code="invalid_address",
            ) from None
        local, _at, domain = raw.rpartition("@")
        # The domain is case-insensitive; the local part is kept as written (RFC 5321), but
        # everyone treats it case-insensitively too: one address, one row.
        return f"{local}@{domain}".lower()
    if channel == Channel.SMS:
        digits = re.sub(r"[\s().-]", "", raw)
        match = _MOBILE.match(digits)
        if match:
            return "+86" + match.group(1)
        if _E164.match(digits):
            return digits
        raise ValidationError(
            _("%(address)s is not a valid mobile number.") % {"address": raw[:40]},
            code="invalid_address",
        )
    if channel == Channel.WECHAT:
        if _WECHAT.match(raw):
            return raw
        raise ValidationError(
            _("%(address)s is not a valid WeChat user ID.") % {"address": raw[:64]},
            code="invalid_address",
        )
    raise ValidationError(
        _("Unknown channel %(channel)s.") % {"channel": channel}, code="invalid_channel"
    )
