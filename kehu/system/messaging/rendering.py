"""Personalised templates that cannot run code, and HTML that cannot carry script.

A template is text with ``{{ name }}`` placeholders from a whitelist (:data:`VARIABLES`) and
nothing else: no tags, filters, attribute lookups or loops. Rendering is one pass of
substitution, so a value is never read as a template again — a customer called ``{{ secret }}``
or ``{% load %}`` is printed as exactly that. In HTML every value is escaped.

An HTML body is sanitised once, when the message is created: only the tags and attributes of
:data:`ALLOWED_TAGS`, link targets of http(s)/mailto/tel, no script, style sheets, frames or
event handlers. Its links are recorded on the message (a click token names one by index)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: The placeholders a template may use, with what they mean (shown to the person writing it).
VARIABLES: dict[str, object] = {
    "name": gettext_lazy("The recipient's name"),
    "first_name": gettext_lazy("The recipient's given name"),
    "company": gettext_lazy("The recipient's company"),
    "title": gettext_lazy("The recipient's job title"),
    "owner": gettext_lazy("The recipient's account owner"),
    "email": gettext_lazy("The recipient's e-mail address"),
    "mobile": gettext_lazy("The recipient's mobile number"),
    "offer": gettext_lazy("The offer for this recipient"),
    "link": gettext_lazy("A link for this recipient (a survey, a quote)"),
    "unsubscribe_url": gettext_lazy("The recipient's unsubscribe link"),
}

#: Filled in by the sending layer, never from the caller's data.
SYSTEM_VARIABLES = frozenset({"unsubscribe_url"})


def register_variable(name: str, label) -> None:
    """Let another area offer a placeholder (e.g. ``survey_link``) without editing this file."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
        raise ValueError(f"bad placeholder name {name!r}")
    VARIABLES[name] = label


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_ANY_TAG = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


def check_template(text: str) -> None:
    """Refuse template code beyond whitelisted ``{{ name }}`` placeholders (with the reason)."""
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(text)} - set(VARIABLES))
    if unknown:
        raise ValidationError(
            _("Unknown placeholder %(names)s. Available: %(available)s.")
            % {
                "names": ", ".join("{{ " + n + " }}" for n in unknown),
                "available": ", ".join("{{ " + n + " }}" for n in VARIABLES),
            },
            code="unknown_placeholder",
        )
    if _ANY_TAG.search(_PLACEHOLDER.sub("", text)):
        raise ValidationError(
            _("Only placeholders like {{ name }} are allowed; other template code is not."),
            code="template_code",
        )


def render(text: str, context: dict, *, html_escape: bool) -> str:
    """Substitute the placeholders of a checked template in one pass (values are never
    re-read as template code); unknown or missing values become empty."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in VARIABLES:
            return match.group(0)
        v = context.get(name)
        v = "" if v is None else str(v)
        return html.escape(v, quote=True) if html_escape else v

    return _PLACEHOLDER.sub(value, text)


# --- HTML -------------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "a": {"href", "title"},
    "abbr": set(),
    "b": set(),
    "blockquote": set(),
    "br": set(),
    "center": set(),
    "code": set(),
    "div": set(),
    "em": set(),
    "font": {"color", "face", "size"},
    "h1": set(),
    "h2": set(),
    "h3": set(),
    "h4": set(),
    "hr": set(),
    "i": set(),
    "img": {"src", "alt", "width", "height"},
    "li": set(),
    "ol": set(),
    "p": set(),
    "pre": set(),
    "s": set(),
    "small": set(),
    "span": set(),
    "strong": set(),
    "sub": set(),
    "sup": set(),
    "table": {"width", "cellpadding", "cellspacing", "border"},
    "tbody": set(),
    "td": {"colspan", "rowspan", "width", "valign"},
    "tfoot": set(),
    "th": {"colspan", "rowspan", "width", "valign"},
    "thead": set(),
    "tr": set(),
    "u": set(),
    "ul": set(),
}
#: Attributes every allowed tag may have (inline styles are how e-mail HTML is laid out).
COMMON_ATTRIBUTES = {"style", "align", "class", "dir", "lang", "bgcolor", "title"}
#: Elements dropped with everything inside them.
DROP_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg"}
VOID = {"br", "hr", "img"}
_SAFE_URL = re.compile(r"^(https?://|mailto:|tel:)", re.IGNORECASE)
_BAD_STYLE = re.compile(r"url\s*\(|expression|javascript:|@import|behavior", re.IGNORECASE)
#: A recorded link in a sanitised body: replaced by the recipient's click URL when rendering.
LINK_MARK = "kehu-link:"
_LINK_HREF = re.compile(r'href="kehu-link:(\d+)"')
_UNSUBSCRIBE_HREF = re.compile(r"^\s*\{\{\s*unsubscribe_url\s*\}\}\s*$")


class _Sanitizer(HTMLParser):
    def __init__(self, links: list[str]):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links = links
        self.dropping = 0
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in DROP_CONTENT:
            self.dropping += tag not in VOID
            return
        if self.dropping or tag not in ALLOWED_TAGS:
            return
        kept = []
        for name, val in attrs:
            val = val or ""
            if name not in ALLOWED_TAGS[tag] and name not in COMMON_ATTRIBUTES:
                continue
            if name == "href" and _UNSUBSCRIBE_HREF.match(val):
                # The system's own link (signed, absolute https): allowed, not click-tracked.
                kept.append(' href="{{ unsubscribe_url }}"')
                continue
            if name in ("href", "src"):
                if "{{" in val or "{%" in val:
                    raise ValidationError(
                        _("Placeholders cannot be used inside a link or an image address."),
                        code="placeholder_in_link",
                    )
                if not _SAFE_URL.match(val.strip()):
                    continue
                val = val.strip()
                if name == "href" and val[:4].lower() == "http":
                    if val not in self.links:
                        self.links.append(val)
                    val = LINK_MARK + str(self.links.index(val))
            if name == "style" and _BAD_STYLE.search(val):
                continue
            kept.append(f' {name}="{html.escape(val, quote=True)}"')
        self.out.append(f"<{tag}{''.join(kept)}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in self.open and tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in DROP_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping or tag not in ALLOWED_TAGS or tag in VOID or tag not in self.open:
            return
        while self.open:  # close what was left open inside it
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data):
        if not self.dropping:
            # Placeholders stay as they are; everything else is text, escaped.
            self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def sanitize_html(body: str) -> tuple[str, list[str]]:
    """(safe HTML, its http(s) links in order). The links' hrefs become ``kehu-link:N``."""
    links: list[str] = []
    parser = _Sanitizer(links)
    parser.feed(body)
    return parser.result(), links


def fill_links(body: str, click_url) -> str:
    """Replace each recorded link with ``click_url(index)`` (or the link itself for previews)."""
    return _LINK_HREF.sub(lambda m: f'href="{html.escape(click_url(int(m.group(1))))}"', body)
