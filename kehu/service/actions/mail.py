"""Service requests from e-mail: the intake every entry point hands a message to
(:func:`receive_message`: ``kehu mail-intake`` reads one on stdin for a Postfix pipe,
``kehu mail-gateway`` is an SMTP server the mail server relays to), and the replies sent from a
request page (:func:`send_reply`).

What the intake does with a message:

1. It reads it with the standard library (``email.policy.default``). Nothing in it is trusted:
   a header that cannot be parsed is read raw, a body in an unknown charset is decoded leniently,
   HTML is converted to plain text (scripts, styles and markup dropped; never stored or shown as
   HTML), control and direction-override characters are removed. A message larger than
   ``KEHU_SERVICE_MAIL_MAX_BYTES`` keeps its headers only.
2. The same ``Message-ID`` delivered again (a retrying mail server) changes nothing: the first
   row is returned (:attr:`Intake.duplicate`).
3. It threads by ``In-Reply-To`` and ``References`` against the ids of the messages already on
   a request, received and sent. The subject is never used: a reply to an unknown id opens a new
   request. A reply to a closed request opens a follow-up.
4. Otherwise it opens a request (channel e-mail, the default category, the customer and contact
   the sender's address belongs to, owned like the customer). A sender that matches no contact
   or customer opens a request without a customer flagged *unknown sender*, or is rejected when
   ``KEHU_SERVICE_MAIL_UNKNOWN_SENDERS = "reject"``. Automatic messages (auto-replies, bounces,
   list mail) and loops from the service mailbox itself never open one.
5. A customer's answer puts a request that waits on the customer back in progress (its SLA clock
   runs again), tells the agent, and is logged as an e-mail activity of the customer.
6. Files go through the project's upload check and size cap (``core.uploads.check_upload``);
   one that fails is dropped with a note, never the message. The raw message is kept (capped
   at ``KEHU_SERVICE_MAIL_RAW_MAX_BYTES``; a larger one keeps its headers).

Every message, rejected ones too, is an :class:`InboundMessage` with its status and reason."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import logging
import mimetypes
import re
import uuid
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import InboundMessage, OutboundMessage, ServiceRequest
from ..models.mail import MESSAGE_ID_LENGTH

log = logging.getLogger(__name__)

S = ServiceRequest.Status
Reason = InboundMessage.Reason
#: Characters kept out of every text: controls (but tab and newline), zero-width spaces,
#: direction overrides (a file name ``invoice\u202eexe.pdf`` reads as ``invoicefdp.exe``).
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
_ID = re.compile(r"<([^<>\s]+)>")
TEXT_LIMIT = 100_000  # characters of a message's text kept
DESCRIPTION_LIMIT = 20_000  # of them, the characters that become a new request's description
MAX_REFERENCES = 50
MAX_FILES = 20  # files kept of one message; more are listed as not kept
#: Outgoing replies refer to at most this many earlier messages (the newest).
REPLY_REFERENCES = 20


class MailError:
    CLOSED = "request_closed"
    NO_RECIPIENT = "no_recipient"
    EMPTY = "empty"
    SEND_FAILED = "send_failed"


# --- Settings ------------------------------------------------------------------------------------


def intake_address() -> str:
    """The service mailbox: where customers write and replies come from."""
    value = getattr(settings, "KEHU_SERVICE_MAIL_ADDRESS", "") or settings.DEFAULT_FROM_EMAIL
    return parseaddr(value or "")[1].strip().lower()


def max_message_bytes() -> int:
    return int(getattr(settings, "KEHU_SERVICE_MAIL_MAX_BYTES", 50 * 2**20))


def max_raw_bytes() -> int:
    return int(getattr(settings, "KEHU_SERVICE_MAIL_RAW_MAX_BYTES", 10 * 2**20))


def rejects_unknown_senders() -> bool:
    return getattr(settings, "KEHU_SERVICE_MAIL_UNKNOWN_SENDERS", "open") == "reject"


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f}"


def read_capped(stream, limit: int) -> tuple[bytes, int]:
    """Read a message from a stream: at most ``limit + 1`` bytes kept (a larger message keeps
    its headers only), the rest counted and dropped. (bytes, real size)."""
    head = stream.read(limit + 1) or b""
    size = len(head)
    if size > limit:
        while chunk := stream.read(2**20):
            size += len(chunk)
    return head, size


# --- Reading a message ---------------------------------------------------------------------------


def clean_text(value: str) -> str:
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", value)


def clean_line(value: str, limit: int = 300) -> str:
    return " ".join(clean_text(value).split())[:limit]


def normalise_id(token: str) -> str:
    """One message id as stored: ``<local@domain>``; too long: a digest of it."""
    token = clean_line(token, 5000).strip("<> ")
    if not token:
        return ""
    value = f"<{token}>"
    if len(value) > MESSAGE_ID_LENGTH:
        value = f"<{hashlib.sha256(token.encode()).hexdigest()}@long-id.invalid>"
    return value


def message_ids(value: str, *, limit: int = MAX_REFERENCES) -> list[str]:
    """The message ids in a header (``In-Reply-To``, ``References``), in order, once each;
    the last ``limit`` of them."""
    value = value or ""
    tokens = _ID.findall(value)
    if not tokens and value.strip() and len(value.split()) == 1:
        tokens = [value.strip()]  # a bare id without angle brackets
    ids = list(dict.fromkeys(t for t in map(normalise_id, tokens) if t))
    return ids[-limit:]


class _HtmlText(HTMLParser):
    """HTML to plain text: the text of the document, line breaks for blocks, a link's address
    after its text; scripts, styles and everything else that is not text dropped."""

    SKIP = frozenset(
        {"script", "style", "head", "title", "noscript", "template", "iframe", "object", "svg"}
        | {"math", "select", "textarea", "button", "embed", "applet", "frameset"}
    )
    PARAGRAPH = frozenset(
        {"p", "div", "table", "blockquote", "pre", "ul", "ol", "dl", "section", "article"}
        | {"header", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "form", "fieldset"}
    )
    LINE = frozenset({"br", "tr", "dt", "dd", "caption", "address", "center"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.pre = 0
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        if tag in self.PARAGRAPH:
            self.out.append("\n\n")
        elif tag in self.LINE:
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n• ")
        elif tag in ("td", "th"):
            self.out.append("  ")
        if tag == "pre":
            self.pre += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            href = clean_line(href, 500)
            safe = href.lower().startswith(("http://", "https://", "mailto:"))
            self.links.append((href if safe else "", len(self.out)))

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.out[start:]).strip()
            shown = href.removeprefix("mailto:")
            if href and shown not in text:
                self.out.append(f" ({href})")
        if tag in self.PARAGRAPH:
            self.out.append("\n\n")

    def handle_data(self, data):
        if self.skip:
            return
        self.out.append(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.out).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """The text of an HTML body: never markup, never a script."""
    parser = _HtmlText()
    try:
        parser.feed(html or "")
        parser.close()
        return clean_text(parser.text())
    except Exception:  # noqa: BLE001 - whatever the parser chokes on: drop every tag
        text = re.sub(r"(?is)<(script|style)\b.*?(</\1\s*>|$)", " ", html or "")
        return clean_text(re.sub(r"<[^>]*>?", " ", text)).strip()


def _header(msg: Message, name: str) -> str:
    """A header's value; a value the parser chokes on is read raw."""
    try:
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:  # noqa: BLE001 - malformed header: its raw text
        for key, value in msg.raw_items():
            if key.lower() == name.lower():
                return str(value)
        return ""


def _sender(msg: Message) -> tuple[str, str]:
    value = _header(msg, "From")
    try:
        pairs = getaddresses([value])
    except Exception:  # noqa: BLE001
        pairs = []
    for name, address in pairs:
        address = clean_line(address, 254).lower()
        try:
            validate_email(address)
        except ValidationError:
            continue
        return address, clean_line(name, 200)
    return "", ""


def _date(msg: Message) -> datetime.datetime | None:
    try:
        value = parsedate_to_datetime(_header(msg, "Date"))
    except Exception:  # noqa: BLE001 - no date or a date that is none
        return None
    if value is None or not 1900 < value.year < 2100:
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value, datetime.UTC)


def _automatic(msg: Message, address: str) -> bool:
    """An auto-reply, a bounce, list or bulk mail (RFC 3834 and common practice)."""
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return True
    if _header(msg, "Precedence").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    if any(_header(msg, h) for h in ("X-Autoreply", "X-Autorespond", "List-Id")):
        return True
    if _header(msg, "Return-Path").strip() == "<>":
        return True
    local = address.partition("@")[0]
    return local in ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply")


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()
    except Exception:  # noqa: BLE001 - unknown charset, broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _filename(part: Message, n: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001
        name = ""
    name = clean_line(str(name), 200).replace("/", "_").replace("\\", "_").strip(" .")
    if not name:
        try:
            ctype = part.get_content_type()
        except Exception:  # noqa: BLE001
            ctype = "application/octet-stream"
        ext = ".eml" if ctype == "message/rfc822" else mimetypes.guess_extension(ctype) or ".bin"
        name = f"attachment-{n}{ext}"
    return name[-150:]


def _encoded_size(part: Message) -> int:
    """The decoded size of a part, estimated without decoding it."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return 0
    encoding = _header(part, "Content-Transfer-Encoding").strip().lower()
    if encoding == "base64":
        return (len(payload) - payload.count("\n") - payload.count("\r")) * 3 // 4
    return len(payload)


@dataclasses.dataclass
class FilePart:
    name: str
    size: int
    part: Message | None = None  # None: too large to decode, or not readable
    attached_message: bool = False
    note: str = ""

    def content(self) -> bytes:
        if self.part is None:
            return b""
        if self.attached_message:
            inner = self.part.get_payload(0)
            return inner.as_bytes(policy=policy.default.clone(linesep="\r\n"))
        data = self.part.get_payload(decode=True)
        return data if isinstance(data, bytes) else b""


@dataclasses.dataclass
class ParsedMessage:
    """What the intake keeps of a message (every field already cleaned)."""

    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = dataclasses.field(default_factory=list)
    from_address: str = ""
    from_name: str = ""
    to: str = ""
    subject: str = ""
    text: str = ""
    from_html: bool = False
    automatic: bool = False
    sent_at: datetime.datetime | None = None
    size: int = 0
    header_block: bytes = b""
    files: list[FilePart] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    unreadable: bool = False

    def thread_ids(self) -> list[str]:
        """Ids to thread by, the likeliest first: the parent, then references newest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return list(dict.fromkeys([*ids, *reversed(self.references)]))


def _header_block(raw: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(sep)
        if end >= 0:
            return raw[: end + len(sep)]
    return raw[:65536]


def _walk(part: Message, parent: str, body: set[int], out: ParsedMessage, extra: list[str]):
    try:
        ctype = part.get_content_type()
    except Exception:  # noqa: BLE001
        ctype = "application/octet-stream"
    if ctype == "message/rfc822" and part.is_multipart():
        name = _filename(part, len(out.files) + 1)
        if not name.lower().endswith(".eml"):
            name += ".eml"
        file = FilePart(name, 0, part, attached_message=True)
        try:
            file.size = len(file.content())
        except Exception:  # noqa: BLE001 - a forwarded message that cannot be written out
            file.part = None
        out.files.append(file)
        return
    if part.is_multipart():
        for sub in part.iter_parts():
            _walk(sub, ctype, body, out, extra)
        return
    if id(part) in body or part.get_content_maintype() == "multipart":
        return  # the body, or a multipart without its boundary (read as text if nothing else)
    try:
        disposition = part.get_content_disposition()
        has_name = bool(part.get_filename())
    except Exception:  # noqa: BLE001
        disposition, has_name = "attachment", True
    if part.get_content_maintype() == "text" and disposition != "attachment" and not has_name:
        if ctype == "text/plain" and parent != "multipart/alternative":
            extra.append(_part_text(part))  # more text between attachments (Apple Mail)
        return  # the other alternative of the body
    out.files.append(FilePart(_filename(part, len(out.files) + 1), _encoded_size(part), part))


def parse_message(raw: bytes, *, size: int | None = None) -> ParsedMessage:
    """Read a message; never raises. ``size``: the real size when ``raw`` was cut short."""
    size = len(raw) if size is None else size
    out = ParsedMessage(size=size, header_block=_header_block(raw))
    too_large = size > max_message_bytes()
    if too_large:
        out.notes.append(
            _("The message is %(size)s MB, over the %(max)s MB limit: only its headers are kept.")
            % {"size": _mb(size), "max": _mb(max_message_bytes())}
        )
    try:
        parser = BytesParser(policy=policy.default)
        msg = parser.parsebytes(out.header_block if too_large else raw, headersonly=too_large)
    except Exception:  # noqa: BLE001 - the standard parser is lenient; this is a last resort
        log.warning("inbound mail: unreadable message of %s bytes", size, exc_info=True)
        out.unreadable = True
        out.message_id = normalise_id(f"{hashlib.sha256(raw).hexdigest()}@unreadable.invalid")
        return out
    found = message_ids(_header(msg, "Message-ID"), limit=1)
    out.message_id = found[0] if found else normalise_id(f"{hashlib.sha256(raw).hexdigest()}@kehu")
    parents = message_ids(_header(msg, "In-Reply-To"))
    out.in_reply_to = parents[-1] if parents else ""
    out.references = message_ids(_header(msg, "References"))
    out.from_address, out.from_name = _sender(msg)
    out.to = clean_line(_header(msg, "To"), 1000)
    out.subject = clean_line(_header(msg, "Subject"), 300)
    out.sent_at = _date(msg)
    out.automatic = _automatic(msg, out.from_address)
    if too_large:
        return out
    try:
        _read_body(msg, out)
    except Exception:  # noqa: BLE001 - a MIME tree the library cannot walk: keep what we have
        log.warning("inbound mail %s: body not readable", out.message_id, exc_info=True)
        out.notes.append(_("The body of the message could not be read."))
    if not out.text.strip() and not out.files and msg.defects:
        out.notes.append(
            _("The message is malformed: %(n)s MIME defects.") % {"n": len(msg.defects)}
        )
    return out


def _read_body(msg: Message, out: ParsedMessage) -> None:
    body = None
    for kind in ("plain", "html"):
        try:
            body = msg.get_body(preferencelist=(kind,))
        except Exception:  # noqa: BLE001
            body = None
        if body is not None:
            out.from_html = kind == "html"
            break
    body_ids = {id(body)} if body is not None else set()
    # the other alternative of the chosen body is no attachment either
    extra: list[str] = []
    _walk(msg, "", body_ids, out, extra)
    text = _part_text(body) if body is not None else ""
    if out.from_html:
        text = html_to_text(text)
    elif (
        not text and not msg.is_multipart() and msg.get_content_maintype() in ("text", "multipart")
    ):
        text = _part_text(msg)  # no usable body part (a broken multipart): its text as it is
    text = "\n\n".join(t for t in [text, *extra] if t and t.strip())
    text = clean_text(text).strip()
    if len(text) > TEXT_LIMIT:
        out.notes.append(_("The text was cut at %(n)s characters.") % {"n": f"{TEXT_LIMIT:,}"})
        text = text[:TEXT_LIMIT]
    out.text = text


# --- Who wrote, and which request it belongs to -------------------------------------------------


@dataclasses.dataclass
class Sender:
    contact: object = None
    customer: object = None
    note: str = ""


def match_sender(address: str) -> Sender:
    """The contact (and its customer) or customer whose e-mail address this is: a portal
    account's sign-in first, then contacts, then customers. An address shared by contacts of
    several customers matches none (a guess could hand the request to the wrong customer)."""
    from kehu.customers.models import Contact, Customer

    from ..models import PortalAccount

    if not address:
        return Sender()
    account = (
        PortalAccount.objects.select_related("contact__customer")
        .filter(email=address, is_active=True, contact__deleted_at__isnull=True)
        .first()
    )
    if account is not None and account.contact.customer.deleted_at is None:
        return Sender(account.contact, account.contact.customer)
    contacts = list(
        Contact.objects.filter(email__iexact=address, customer__deleted_at__isnull=True)
        .select_related("customer")
        .order_by("pk")[:50]
    )
    customers = {c.customer_id for c in contacts}
    if len(customers) == 1:
        return Sender(contacts[0], contacts[0].customer)
    if len(customers) > 1:
        return Sender(
            note=_("The address belongs to contacts of %(n)s customers: choose the customer.")
            % {"n": len(customers)}
        )
    companies = list(Customer.objects.filter(email__iexact=address).order_by("pk")[:2])
    if len(companies) == 1:
        return Sender(None, companies[0])
    if companies:
        return Sender(note=_("The address belongs to several customers: choose the customer."))
    return Sender()


def find_thread(ids: list[str]) -> ServiceRequest | None:
    """The request one of these message ids belongs to (received or sent), the first id that
    has one winning. Only ids: never the subject."""
    if not ids:
        return None
    owners: dict[str, int] = {}
    for mid, rid in InboundMessage.objects.filter(
        message_id__in=ids, request__isnull=False
    ).values_list("message_id", "request_id"):
        owners.setdefault(mid, rid)
    for mid, rid in OutboundMessage.objects.filter(message_id__in=ids).values_list(
        "message_id", "request_id"
    ):
        owners.setdefault(mid, rid)
    for mid in ids:
        if mid in owners:
            return ServiceRequest.objects.select_related("customer").filter(pk=owners[mid]).first()
    return None


def intake_owner():
    """Who owns a request of an unknown sender: ``KEHU_SERVICE_MAIL_OWNER``, else the first
    active superuser (with a department: a request needs one)."""
    from kehu.system.models import User

    people = User.objects.filter(is_active=True, department__isnull=False)
    name = getattr(settings, "KEHU_SERVICE_MAIL_OWNER", "")
    if name:
        user = people.filter(username=name).first()
        if user is not None:
            return user
        log.warning("KEHU_SERVICE_MAIL_OWNER %r is no active employee with a department", name)
    return people.filter(is_superuser=True).order_by("pk").first()


# --- The intake ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Intake:
    """What became of a message: its row and whether it had been received before."""

    message: InboundMessage
    duplicate: bool = False

    @property
    def request(self) -> ServiceRequest | None:
        return self.message.request

    def summary(self) -> str:
        m = self.message
        number = m.request.number if m.request_id else ""
        if self.duplicate:
            return f"duplicate {m.message_id} ({m.status} {number})".strip()
        if m.status == InboundMessage.Status.REJECTED:
            return f"rejected {m.message_id}: {m.reason}"
        return f"{m.status} {number} {m.message_id}"


def receive_message(
    *,
    raw: bytes,
    recipient: str = "",
    size: int | None = None,
    now: datetime.datetime | None = None,
) -> Intake:
    """Take in one message (the bytes as delivered; ``size`` when they were cut short): open a
    request, add it to one, or reject it — see the module's docstring. The same Message-ID again
    returns the first row unchanged. Raises only on a database error (the mail server should
    then try again later)."""
    parsed = parse_message(raw, size=size)
    existing = InboundMessage.objects.filter(message_id=parsed.message_id).first()
    if existing is not None:
        return Intake(existing, duplicate=True)
    try:
        return Intake(_receive(parsed, raw=raw, recipient=recipient, now=now or timezone.now()))
    except IntegrityError:
        existing = InboundMessage.objects.filter(message_id=parsed.message_id).first()
        if existing is None:
            raise
        return Intake(existing, duplicate=True)  # delivered twice at the same moment


@transaction.atomic
def _receive(
    parsed: ParsedMessage, *, raw: bytes, recipient: str, now: datetime.datetime
) -> InboundMessage:
    notes = list(parsed.notes)
    sender = match_sender(parsed.from_address)
    if sender.note:
        notes.append(sender.note)
    msg = InboundMessage(
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=" ".join(parsed.references),
        from_address=parsed.from_address,
        from_name=parsed.from_name,
        to=parsed.to,
        delivered_to=clean_line(recipient, 254),
        subject=parsed.subject,
        text=parsed.text,
        from_html=parsed.from_html,
        automatic=parsed.automatic,
        sent_at=parsed.sent_at,
        received_at=now,
        size=parsed.size,
        contact=sender.contact,
        customer=sender.customer,
        status=InboundMessage.Status.REJECTED,
    )
    reason = _refusal(parsed)
    req = None
    if not reason:
        req = find_thread(parsed.thread_ids())
        if req is not None and req.status == S.CLOSED:
            notes.append(
                _("A reply to the closed request %(number)s: opened as a follow-up.")
                % {"number": req.number}
            )
            follow_up_of, req = req, None
        else:
            follow_up_of = None
        if req is not None:
            msg.status = InboundMessage.Status.THREADED
            if req.customer_id and sender.customer and sender.customer.pk != req.customer_id:
                notes.append(_("The sender is not a contact of this request's customer."))
        elif parsed.automatic:
            reason = Reason.AUTOMATIC
        elif sender.customer is None and rejects_unknown_senders():
            reason = Reason.UNKNOWN_SENDER
        else:
            req = _open_request(parsed, sender, follow_up_of=follow_up_of, now=now)
            if req is None:
                reason = Reason.NO_OWNER
            else:
                msg.status = InboundMessage.Status.OPENED
    msg.reason = reason
    msg.request = req
    msg.save()
    if req is not None:
        msg.files = _keep_files(parsed.files, req)
    elif parsed.files:
        msg.files = [
            {"name": f.name, "size": f.size, "token": "", "note": _("not kept: message rejected")}
            for f in parsed.files
        ]
    msg.raw, raw_note = _keep_raw(msg, raw, parsed)
    if raw_note:
        notes.append(raw_note)
    if msg.status == InboundMessage.Status.THREADED:
        notes += _answered(req, msg, now=now)
    if req is not None:
        _log_activity(req, msg, sender)
    msg.notes = "\n".join(notes)
    msg.save(update_fields=["files", "raw", "notes"])
    return msg


def _refusal(parsed: ParsedMessage) -> str:
    if parsed.unreadable:
        return Reason.UNREADABLE
    if not parsed.from_address:
        return Reason.NO_SENDER
    if parsed.from_address == intake_address():
        return Reason.OWN_ADDRESS
    return ""


def _open_request(
    parsed: ParsedMessage, sender: Sender, *, follow_up_of, now
) -> ServiceRequest | None:
    from .requests import save_request

    customer = sender.customer
    owner = customer.owner if customer is not None else intake_owner()
    if owner is None:
        return None
    description = parsed.text[:DESCRIPTION_LIMIT]
    if follow_up_of is not None:
        lead = _("Follow-up of the closed request %(number)s.") % {"number": follow_up_of.number}
        description = f"{lead}\n\n{description}".strip()
    req = ServiceRequest(
        customer=customer,
        contact=sender.contact,
        unknown_sender=customer is None,
        channel=ServiceRequest.Channel.EMAIL,
        subject=(parsed.subject or _("(no subject)"))[:200],
        description=description,
        category=getattr(settings, "KEHU_SERVICE_MAIL_CATEGORY", "") or "",
        owner=owner,
        department_id=customer.department_id if customer is not None else owner.department_id,
        created_at=now,
    )
    return save_request(req, user=owner, now=now)


def _keep_files(files: list[FilePart], req: ServiceRequest) -> list[dict]:
    """Each file through the upload check onto the request; what fails is listed, not kept."""
    from kehu.core.actions import add_attachment

    cap = settings.KEHU_MAX_UPLOAD_BYTES
    kept = []
    for n, file in enumerate(files):
        row = {"name": file.name, "size": file.size, "token": "", "note": ""}
        kept.append(row)
        if n >= MAX_FILES:
            row["note"] = _("not kept: more than %(n)s files") % {"n": MAX_FILES}
            continue
        if file.size > cap:
            row["note"] = _("not kept: larger than %(max)s MB") % {"max": cap // 2**20}
            continue
        try:
            data = file.content() if file.part is not None else None
        except Exception:  # noqa: BLE001 - a part that cannot be decoded
            data = None
        if data is None:
            row["note"] = _("not kept: the file could not be read")
            continue
        row["size"] = len(data)
        try:
            with transaction.atomic():
                attachment = add_attachment(target=req, upload=ContentFile(data, name=file.name))
        except ValidationError as exc:
            row["note"] = _("not kept: %(reason)s") % {"reason": " ".join(exc.messages)}
            continue
        row["token"] = str(attachment.token)
    return kept


def _keep_raw(msg: InboundMessage, raw: bytes, parsed: ParsedMessage):
    """The raw message as an attachment of its row (served from the request page); over the
    cap, or cut short on arrival, its headers only."""
    from kehu.core.actions import add_attachment

    note = ""
    data = raw
    if parsed.size > max_raw_bytes() or len(raw) < parsed.size:
        data = parsed.header_block
        note = _("The raw message (%(size)s MB) is over %(max)s MB: its headers are kept.") % {
            "size": _mb(parsed.size),
            "max": _mb(min(max_raw_bytes(), max_message_bytes())),
        }
    stamp = timezone.localtime(msg.received_at).strftime("%Y%m%d-%H%M%S")
    try:
        with transaction.atomic():
            attachment = add_attachment(
                target=msg, upload=ContentFile(data, name=f"message-{stamp}-{msg.pk}.eml")
            )
    except ValidationError as exc:
        return None, _("The raw message is not kept: %(reason)s") % {
            "reason": " ".join(exc.messages)
        }
    return attachment, note


def _answered(req: ServiceRequest, msg: InboundMessage, *, now) -> list[str]:
    """A customer's answer on a request: back in progress if it waited on the customer (the
    SLA clock resumes), and the agent told. Automatic messages change nothing."""
    from kehu.core.actions import notify

    from .requests import move_request

    if msg.automatic:
        return [_("An automatic message: the request's status is unchanged.")]
    notes = []
    if req.status == S.WAITING:
        req = move_request(req, S.IN_PROGRESS, user=None, now=now)
        notes.append(_("The customer answered: the request is in progress again."))
    elif req.status == S.RESOLVED:
        notes.append(_("The request is resolved: reopen it if the answer needs work."))
    person = req.agent or req.owner
    if person is not None and person.is_active:
        notify(
            recipients=[person],
            title=_("E-mail from the customer: %(number)s %(subject)s")
            % {"number": req.number, "subject": req.subject},
            body=(msg.from_name or msg.from_address)[:200],
            link=req.get_absolute_url() + "#request-mail",
            kind="service_mail",
        )
    return notes


def _log_activity(req: ServiceRequest, msg: InboundMessage | OutboundMessage, sender=None):
    """An e-mail activity of the request's customer (its timeline), linked to the request."""
    from kehu.customers.actions.activity import save_activity
    from kehu.customers.models import Activity

    if req.customer_id is None:
        return
    inbound = isinstance(msg, InboundMessage)
    contact = sender.contact if sender is not None else req.contact
    contacts = [contact] if contact is not None and contact.customer_id == req.customer_id else []
    activity = Activity(
        customer_id=req.customer_id,
        kind=Activity.Kind.EMAIL,
        subject=(msg.subject or req.subject)[:200],
        description=(
            _("E-mail from %(sender)s on service request %(number)s.")
            if inbound
            else _("E-mail to %(sender)s on service request %(number)s.")
        )
        % {"sender": msg.from_address if inbound else msg.to, "number": req.number},
        start_at=msg.received_at if inbound else msg.sent_at,
        status=Activity.Status.DONE,
        owner_id=req.owner_id,
        department_id=req.department_id,
    )
    activity.linked = req
    save_activity(activity=activity, user=None, contacts=contacts)


# --- Replies from the request page ----------------------------------------------------------------


def reply_defaults(req: ServiceRequest) -> dict[str, str]:
    """Whom a reply goes to (the sender of the latest e-mail, else the contact) and its subject."""
    last = req.inbound_messages.exclude(from_address="").order_by("-received_at", "-pk").first()
    to = last.from_address if last is not None else ""
    if not to and req.contact_id and req.contact.email:
        to = req.contact.email
    subject = req.subject
    if last is not None and last.subject:
        subject = last.subject
    if not re.match(r"(?i)^(re|回复|答复)\s*[:：]", subject):
        subject = f"Re: {subject}"
    if req.number not in subject:
        subject = f"{subject} [{req.number}]"
    return {"to": to, "subject": subject[:300]}


def _recipients(value: str) -> list[str]:
    addresses = [a.strip() for a in re.split(r"[,;\s]+", value or "") if a.strip()]
    if not addresses:
        raise ValidationError(
            {"to": ValidationError(_("Give the recipient's e-mail address."), code="required")}
        )
    if len(addresses) > 10:
        raise ValidationError({"to": _("Send to at most 10 addresses.")})
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                {"to": _("“%(address)s” is no e-mail address.") % {"address": address[:100]}}
            ) from None
    return addresses


@transaction.atomic
def send_reply(
    *,
    request: ServiceRequest,
    user,
    to: str,
    subject: str,
    text: str,
    wait: bool = False,
    now: datetime.datetime | None = None,
) -> OutboundMessage:
    """E-mail the customer from the request: the message carries a new Message-ID (kept, so
    the customer's answer threads back here) and ``In-Reply-To``/``References`` to the latest
    e-mail received. A first answer stops the response clock (the request moves to in
    progress); ``wait`` puts it on waiting on the customer (the resolution clock pauses)."""
    from django.core.mail import EmailMessage

    from .requests import MOVES, move_request

    now = now or timezone.now()
    req = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if req.status == S.CLOSED:
        raise ValidationError(_("This request is closed."), code=MailError.CLOSED)
    recipients = _recipients(to)
    text = clean_text(text).strip()
    subject = clean_line(subject, 300) or reply_defaults(req)["subject"]
    if not text:
        raise ValidationError({"text": _("Write the reply.")}, code=MailError.EMPTY)
    if len(text) > 20000:
        raise ValidationError({"text": _("Keep the reply under 20,000 characters.")})
    sender = intake_address()
    domain = sender.partition("@")[2] or "kehu.invalid"
    message_id = f"<kehu.{req.pk}.{uuid.uuid4().hex}@{domain}>"
    parent = req.inbound_messages.order_by("-received_at", "-pk").first()
    references = []
    if parent is not None:  # RFC 5322 3.6.4: the parent's References (or In-Reply-To), its id
        earlier = message_ids(parent.references) or message_ids(parent.in_reply_to)
        references = list(dict.fromkeys([*earlier, parent.message_id]))[-REPLY_REFERENCES:]
    headers = {"Message-ID": message_id, "Reply-To": sender}
    if parent is not None:
        headers["In-Reply-To"] = parent.message_id
        headers["References"] = " ".join(references)
    from_email = settings.DEFAULT_FROM_EMAIL
    if getattr(settings, "KEHU_SERVICE_MAIL_ADDRESS", ""):
        from_email = settings.KEHU_SERVICE_MAIL_ADDRESS
    mail = EmailMessage(
        subject=subject, body=text, from_email=from_email, to=recipients, headers=headers
    )
    try:
        mail.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - the mail server's refusal, said to the agent
        log.warning("reply on %s not sent", req.number, exc_info=True)
        raise ValidationError(
            _("The mail server did not take the reply: %(error)s") % {"error": str(exc)[:200]},
            code=MailError.SEND_FAILED,
        ) from exc
    out = OutboundMessage.objects.create(
        request=req,
        message_id=message_id,
        in_reply_to=parent.message_id if parent is not None else "",
        references=" ".join(references),
        from_address=sender,
        to=", ".join(recipients)[:1000],
        subject=subject,
        text=text,
        sent_by=user,
        sent_at=now,
    )
    if wait and S.WAITING in MOVES.get(req.status, ()):
        move_request(req, S.WAITING, user=user, now=now)
    elif not wait and req.status in (S.NEW, S.ASSIGNED):
        move_request(req, S.IN_PROGRESS, user=user, now=now)
    _log_activity(req, out)
    return out


def mail_thread(req: ServiceRequest) -> list[dict]:
    """The request's e-mails, received and sent, oldest first (for its page)."""
    items = [
        {"inbound": True, "at": m.received_at, "message": m}
        for m in req.inbound_messages.select_related("raw").order_by("received_at", "pk")
    ]
    items += [
        {"inbound": False, "at": m.sent_at, "message": m}
        for m in req.outbound_messages.select_related("sent_by").order_by("sent_at", "pk")
    ]
    return sorted(items, key=lambda item: item["at"])
