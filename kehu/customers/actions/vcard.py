"""vCard (.vcf) for contacts: reading 2.1/3.0/4.0 cards into import rows, and streaming export.

Reading works on bytes: folded lines are unfolded, quoted-printable values decoded, and each
value decoded with its own ``CHARSET`` parameter (old phones write ``CHARSET=GBK``), else the
file's encoding (UTF-8, or GB18030 when the file is not UTF-8).
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kehu.core.imports import detect_encoding

#: the import columns a card becomes (field names of the contact importer)
VCARD_COLUMNS = [
    "customer",
    "name",
    "gender",
    "birthday",
    "work_department",
    "title",
    "mobile",
    "office_phone",
    "home_phone",
    "fax_im",
    "email",
    "address",
    "notes",
]
CHARSETS = {"gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030", "utf-8": "utf-8"}


def _unfold(data: bytes) -> list[bytes]:
    """Logical lines: CRLF + space/tab continues a line; a quoted-printable value ending in "="
    continues on the next physical line (vCard 2.1)."""
    physical = re.split(rb"\r\n|\n|\r", data)
    lines: list[bytes] = []
    for line in physical:
        if lines and line[:1] in (b" ", b"\t"):
            lines[-1] += line[1:]
        elif lines and lines[-1].endswith(b"=") and b"QUOTED-PRINTABLE" in lines[-1].upper():
            lines[-1] = lines[-1][:-1] + line
        else:
            lines.append(line)
    return [line for line in lines if line.strip()]


def _params(raw: list[bytes]) -> tuple[set[str], dict[str, str]]:
    types: set[str] = set()
    params: dict[str, str] = {}
    for p in raw:
        text = p.decode("ascii", "replace")
        if "=" in text:
            key, value = text.split("=", 1)
            key = key.strip().upper()
            value = value.strip().strip('"')
            if key == "TYPE":
                types |= {t.strip().upper() for t in value.split(",") if t.strip()}
            else:
                params[key] = value
        else:
            types.add(text.strip().upper())  # vCard 2.1: TEL;CELL;VOICE
    return types, params


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], text)


def _split(text: str, sep: str = ";") -> list[str]:
    parts, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append(_unescape("".join(current)))
            current = []
        else:
            current.append(ch)
    parts.append(_unescape("".join(current)))
    return parts


def _cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def parse_vcards(data: bytes) -> list[dict[str, str]]:
    """Every card of the file as {import column: value}."""
    try:
        default = detect_encoding(data)
    except ValidationError:
        default = "gb18030"
    default = "utf-8" if default == "utf-8-sig" else default
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    cards: list[dict[str, str]] = []
    card: dict[str, str] | None = None
    for line in _unfold(data):
        head, sep, raw_value = line.partition(b":")
        if not sep:
            continue
        parts = head.split(b";")
        name = parts[0].decode("ascii", "replace").strip().upper().rsplit(".", 1)[-1]
        types, params = _params(parts[1:])
        if name == "BEGIN" and raw_value.strip().upper() == b"VCARD":
            card = {}
            continue
        if card is None:
            continue
        if name == "END":
            if card.get("name") or card.get("customer"):
                cards.append(card)
            card = None
            continue
        if params.get("ENCODING", "").upper() in ("QUOTED-PRINTABLE", "QP") or (
            "QUOTED-PRINTABLE" in types
        ):
            raw_value = quopri.decodestring(raw_value)
        charset = CHARSETS.get(params.get("CHARSET", "").lower(), default)
        value = raw_value.decode(charset, "replace").strip()
        _apply(card, name, types, value)
    return cards


def _put(card: dict[str, str], key: str, value: str) -> None:
    if value and not card.get(key):
        card[key] = value


def _apply(card: dict[str, str], name: str, types: set[str], value: str) -> None:
    if name == "FN":
        card["name"] = _unescape(value)
    elif name == "N" and not card.get("name"):
        family, given, *_rest = [*_split(value), "", ""]
        joined = f"{family}{given}" if _cjk(family + given) else f"{given} {family}"
        _put(card, "name", joined.strip())
    elif name == "ORG":
        org, *units = _split(value)
        _put(card, "customer", org.strip())
        _put(card, "work_department", " ".join(u for u in units if u).strip())
    elif name == "TITLE":
        _put(card, "title", _unescape(value))
    elif name == "TEL":
        number = value[4:] if value.lower().startswith("tel:") else value
        if "FAX" in types:
            key = "fax_im"
        elif "CELL" in types or "MOBILE" in types:
            key = "mobile"
        elif "HOME" in types:
            key = "home_phone"
        elif "WORK" in types:
            key = "office_phone"
        else:
            key = "mobile" if not card.get("mobile") else "office_phone"
        _put(card, key, number.strip())
    elif name == "EMAIL":
        _put(card, "email", value.removeprefix("mailto:").strip())
    elif name == "ADR":
        parts = [p.strip() for p in _split(value)]
        # pobox;ext;street;city;region;postcode;country: Chinese order country-region-city-street
        pobox, ext, street, city, region, postcode, country = (parts + [""] * 7)[:7]
        if _cjk(street + city + region):
            text = "".join(p for p in (country, region, city, street, ext) if p)
        else:
            text = ", ".join(p for p in (street, ext, city, region, postcode, country) if p)
        _put(card, "address", text)
    elif name == "BDAY":
        _put(card, "birthday", value[:10] if "T" not in value else value.split("T")[0])
    elif name == "NOTE":
        _put(card, "notes", _unescape(value))
    elif name in ("GENDER", "X-GENDER"):
        code = value.split(";")[0].strip().upper()
        _put(
            card,
            "gender",
            {"M": "male", "F": "female", "MALE": "male", "FEMALE": "female"}.get(code, ""),
        )


def read_vcf(data: bytes) -> tuple[list[str], list[list[str]]]:
    """The import framework's reader: a header row of importer field names and a row per card."""
    cards = parse_vcards(data)
    if not cards:
        raise ValidationError(_("The file holds no vCard."), code="empty")
    return list(VCARD_COLUMNS), [[card.get(c, "") for c in VCARD_COLUMNS] for card in cards]


# --- Export ---------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines of at most 75 octets (RFC 6350 3.2), never splitting a UTF-8 character."""
    out, current, size = [], [], 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > 75:
            out.append("".join(current))
            current, size = [" "], 1
        current.append(ch)
        size += n
    out.append("".join(current))
    return "\r\n".join(out) + "\r\n"


def vcard(contact) -> str:
    """One contact as a vCard 3.0 (the version Outlook, iOS, Android and WeChat all read)."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escape(contact.name)}"]
    if _cjk(contact.name):
        lines.append(f"N:{_escape(contact.name)};;;;")
    else:
        given, _sp, family = contact.name.rpartition(" ")
        lines.append(f"N:{_escape(family)};{_escape(given)};;;")
    customer = contact.customer
    org = _escape(customer.name)
    if contact.work_department:
        org += ";" + _escape(contact.work_department)
    lines.append(f"ORG:{org}")
    if contact.title:
        lines.append(f"TITLE:{_escape(contact.title)}")
    for value, kind in (
        (contact.mobile, "CELL"),
        (contact.office_phone, "WORK,VOICE"),
        (contact.home_phone, "HOME,VOICE"),
    ):
        if value:
            lines.append(f"TEL;TYPE={kind}:{_escape(value)}")
    if contact.email:
        lines.append(f"EMAIL;TYPE=INTERNET:{_escape(contact.email)}")
    if customer.address or customer.city:
        lines.append(
            f"ADR;TYPE=WORK:;;{_escape(customer.address)};{_escape(customer.city)};;"
            f"{_escape(customer.postcode)};"
        )
    if contact.birthday:
        lines.append(f"BDAY:{contact.birthday:%Y-%m-%d}")
    if contact.gender in ("male", "female"):
        lines.append(f"X-GENDER:{'M' if contact.gender == 'male' else 'F'}")
    if contact.notes:
        lines.append(f"NOTE:{_escape(contact.notes)}")
    lines.append("END:VCARD")
    return "".join(_fold(line) for line in lines)


def vcard_stream(qs: QuerySet) -> Iterator[str]:
    """The contacts of ``qs`` (already restricted to what the user sees), one card at a time."""
    for contact in qs.select_related("customer").iterator(chunk_size=2000):
        yield vcard(contact)
