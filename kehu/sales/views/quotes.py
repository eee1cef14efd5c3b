"""Quote pages: the editor with its line grid (HTMX rows), the quote page's actions (PDF, send,
new version, accept, reject) and the price hints of a line."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.core.access_rules import access_rule, perm, record
from kehu.core.errors import StaleObjectError
from kehu.core.views import ObjectDetailView, ObjectEditView, save_form
from kehu.customers.models import Customer
from kehu.system.models import Product

from ..actions import quotes as actions
from ..forms.quotes import RejectForm, SendForm
from ..models import Quote, QuoteLine

MAX_LINES = 200
STATUS_CLASS = {
    "draft": "text-bg-secondary",
    "sent": "text-bg-primary",
    "accepted": "text-bg-success",
    "rejected": "text-bg-danger",
    "superseded": "text-bg-light border",
}
LINE_FIELDS = ("product", "quantity", "unit_price", "discount_percent", "tax_rate", "description")


@dataclass
class LineRow:
    """One row of the grid as the user typed it, with what the server says about it."""

    index: int
    product_text: str = ""
    quantity: str = "1"
    unit_price: str = ""
    discount_percent: str = "0"
    tax_rate: str = ""
    description: str = ""
    product: Product | None = None
    line: QuoteLine | None = None  # the line as the action builds it (amounts, source)
    error: str = ""
    history: list | None = None
    below_floor: bool = False

    @classmethod
    def of(cls, index: int, line: QuoteLine) -> LineRow:
        return cls(
            index=index,
            product_text=f"{line.product.code} {line.product.name}",
            quantity=_plain(line.quantity),
            unit_price=_plain(line.unit_price),
            discount_percent=_plain(line.discount_percent),
            tax_rate=_plain(line.tax_rate),
            description=line.description,
            product=line.product,
            line=line,
        )


def _plain(value) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text


def find_product(text: str) -> Product | None:
    """The product typed or picked in a row: its code, or "code name" as the picker fills it."""
    text = (text or "").strip()[:250]
    if not text:
        return None
    code = text.split()[0]
    return Product.objects.filter(code=code).first()


def posted_rows(data) -> list[LineRow]:
    """The grid's rows from a POST (``line-<field>`` lists, in order), empty rows dropped."""
    columns = {name: data.getlist(f"line-{name}")[:MAX_LINES] for name in LINE_FIELDS}
    count = max((len(v) for v in columns.values()), default=0)
    rows = []
    for i in range(count):

        def get(name, i=i):
            values = columns[name]
            return (values[i] if i < len(values) else "").strip()[:300]

        if not any(get(name) for name in ("product", "unit_price", "description")):
            continue
        rows.append(
            LineRow(
                index=len(rows) + 1,
                product_text=get("product"),
                quantity=get("quantity"),
                unit_price=get("unit_price"),
                discount_percent=get("discount_percent"),
                tax_rate=get("tax_rate"),
                description=get("description"),
            )
        )
    return rows


def row_data(row: LineRow) -> dict:
    return {
        "product": row.product or find_product(row.product_text),
        "quantity": row.quantity or "1",
        "unit_price": row.unit_price,
        "discount_percent": row.discount_percent or "0",
        "tax_rate": row.tax_rate,
        "description": row.description,
    }


def annotate(rows: list[LineRow], *, customer: Customer | None, number: str, user) -> None:
    """What the action would make of each row (amounts, price source, floor) and the price
    history warning; errors are shown on the row, nothing is saved."""
    quote = Quote(customer=customer, number=number)
    for row in rows:
        row.product = row.product or find_product(row.product_text)
        try:
            row.line = actions.build_line(
                quote=quote, data=row_data(row), index=row.index, user=None
            )
        except ValidationError as exc:
            row.error = " ".join(exc.messages)
            row.line = None
            continue
        row.below_floor = actions.below_floor(row.line)
        if customer is not None and row.product is not None:
            row.history = actions.price_history(
                customer_id=customer.pk,
                product_id=row.product.pk,
                user=user,
                unit_price=row.line.unit_price,
                exclude_number=number,
                limit=3,
            )


class QuoteDetailView(ObjectDetailView):
    template_name = "sales/quotes/quote_detail.html"

    def get_template_names(self):
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        quote = ctx["object"]
        user = self.request.user
        lines = list(quote.lines.select_related("product").order_by("position", "pk"))
        rows = [LineRow.of(n, line) for n, line in enumerate(lines, start=1)]
        for row in rows:
            row.below_floor = actions.below_floor(row.line)
            row.history = actions.price_history(
                customer_id=quote.customer_id,
                product_id=row.line.product_id,
                user=user,
                unit_price=row.line.unit_price,
                exclude_number=quote.number,
                limit=3,
            )
        editable = Quote.objects.editable_by(user).filter(pk=quote.pk).exists()
        can_change = ctx["can_change"] and editable
        ctx.update(
            quote=quote,
            status_class=STATUS_CLASS.get(quote.status, "text-bg-secondary"),
            rows=rows,
            versions=actions.versions_of(quote, user),
            is_draft=quote.status == Quote.Status.DRAFT,
            can_change=can_change and quote.status == Quote.Status.DRAFT,
            can_act=can_change,
            can_delete=ctx["can_delete"] and editable and quote.status == Quote.Status.DRAFT,
            can_decide=can_change and quote.status in (Quote.Status.DRAFT, Quote.Status.SENT),
            can_new_version=can_change
            and quote.status in (Quote.Status.DRAFT, Quote.Status.SENT, Quote.Status.REJECTED),
            reject_form=RejectForm(),
            send_form=SendForm(initial=_send_initial(quote)),
        )
        return ctx


def _send_initial(quote: Quote) -> dict:
    email = (quote.contact.email if quote.contact_id else "") or quote.customer.email
    language = translation.get_language() or "zh-hans"
    return {"to": email, "language": "en" if language.startswith("en") else "zh-hans"}


class QuoteEditView(ObjectEditView):
    """The generic form for the quote's header, and the line grid below it."""

    template_name = "sales/quotes/quote_form.html"

    def get_context_data(self, form=None, rows=None, **kwargs):
        if form is None and "pk" not in self.kwargs:
            number = (self.request.GET.get("customer") or "").strip()[:50]
            if (
                number
                and Customer.objects.visible_to(self.request.user).filter(number=number).exists()
            ):
                form = self.object_type.form(initial={"customer": number}, user=self.request.user)
        ctx = super().get_context_data(form=form, **kwargs)
        quote = ctx["object"]
        if rows is None:
            if quote is not None:
                lines = quote.lines.select_related("product").order_by("position", "pk")
                rows = [LineRow.of(n, line) for n, line in enumerate(lines, start=1)]
            else:
                rows = []
            customer = quote.customer if quote is not None else None
            annotate(
                rows,
                customer=customer,
                number=quote.number if quote else "",
                user=self.request.user,
            )
        ctx.update(
            rows=rows,
            next_index=len(rows) + 1,
            locked=bool(quote and quote.status != Quote.Status.DRAFT),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        form = self.object_type.form(request.POST, request.FILES, instance=obj, user=request.user)
        grid = request.POST.get("lines_submitted") == "1"
        rows = posted_rows(request.POST) if grid else None
        if form.is_valid():
            try:
                with transaction.atomic():
                    if grid:
                        form.action_data_extra = {"lines": [row_data(r) for r in rows]}
                    saved = self.save(form, obj)
            except (StaleObjectError, ValidationError) as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Saved %(object)s.") % {"object": saved})
                return HttpResponseRedirect(reverse("sales:quote_detail", args=[saved.pk]))
        if rows is not None:
            customer = form.cleaned_data.get("customer") if hasattr(form, "cleaned_data") else None
            annotate(rows, customer=customer, number=obj.number if obj else "", user=request.user)
        return self.render_to_response(self.get_context_data(form=form, rows=rows, **kwargs))

    def save(self, form, obj):
        data = form.action_data() | getattr(form, "action_data_extra", {})
        if obj is None:
            return self.object_type.actions.create(user=self.request.user, data=data)
        return self.object_type.actions.update(
            user=self.request.user, obj=obj, data=data, version=form.cleaned_data.get("version")
        )


__all__ = ["QuoteDetailView", "QuoteEditView", "save_form"]


# --- HTMX pieces of the grid ---------------------------------------------------------------------


def _need(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


@access_rule(perm("sales.view_quote"))
@login_required
@require_GET
def quote_line_row(request):
    """A grid row: a new empty one (``?index=``), or the posted row re-drawn with the product's
    default price and tax (``part=row``) or only its hints (``part=info``)."""
    _need(request.user, "sales.view_quote")
    try:
        index = max(1, min(int(request.GET.get("index", "1")), MAX_LINES))
    except ValueError:
        index = 1
    part = request.GET.get("part", "new")
    if part == "remove":  # the grid drops the row; nothing is saved until the form is
        return HttpResponse("")
    if part == "new":
        return render(
            request,
            "sales/quotes/_line_row.html",
            {"row": LineRow(index=index), "add_button": True, "next_index": index + 1},
        )
    number = (request.GET.get("customer") or "").strip()[:50]
    customer = (
        Customer.objects.visible_to(request.user).filter(number=number).first() if number else None
    )
    row = LineRow(
        index=index,
        product_text=request.GET.get("line-product", "")[:250],
        quantity=request.GET.get("line-quantity", "1")[:30],
        unit_price=request.GET.get("line-unit_price", "")[:30],
        discount_percent=request.GET.get("line-discount_percent", "0")[:30],
        tax_rate=request.GET.get("line-tax_rate", "")[:30],
        description=request.GET.get("line-description", "")[:300],
    )
    row.product = find_product(row.product_text)
    if part == "row" and row.product is not None:
        default = actions.default_price(customer=customer, product=row.product)
        row.unit_price = _plain(default.price)
        row.tax_rate = _plain(actions.default_tax_percent(row.product))
        row.product_text = f"{row.product.code} {row.product.name}"
    annotate(
        [row], customer=customer, number=request.GET.get("quote_number", "")[:30], user=request.user
    )
    template = "sales/quotes/_line_row.html" if part == "row" else "sales/quotes/_line_info.html"
    return render(request, template, {"row": row})


@access_rule(perm("sales.view_quote"))
@login_required
@require_GET
def quote_product_options(request):
    """The product picker's choices: active products whose code or name holds ``q``."""
    _need(request.user, "sales.view_quote")
    q = (request.GET.get("q") or request.GET.get("line-product") or "").strip()[:50]
    products = Product.objects.filter(is_active=True)
    if q:
        code = q.split()[0]
        products = products.filter(code__icontains=code) | products.filter(name__icontains=q)
    products = products.order_by("code")[:20]
    return render(request, "sales/quotes/_product_options.html", {"products": products})


# --- The quote page's actions --------------------------------------------------------------------


def _quote_for_change(request, pk: int) -> Quote:
    _need(request.user, "sales.change_quote")
    quote = get_object_or_404(Quote.objects.visible_to(request.user), pk=pk)
    if not Quote.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    return quote


def _done(request, quote: Quote, message: str):
    messages.success(request, message)
    return redirect("sales:quote_detail", pk=quote.pk)


def _refused(request, quote: Quote, exc: ValidationError):
    for message in exc.messages:
        messages.error(request, message)
    return redirect("sales:quote_detail", pk=quote.pk)


@access_rule(record("sales.quote", "sales.view_quote"))
@login_required
@require_GET
def quote_pdf(request, pk: int):
    """The quote as a PDF in ``?lang=zh-hans`` or ``en`` (default: the page's language)."""
    from ..quote_pdf import quote_pdf as render_pdf

    _need(request.user, "sales.view_quote")
    quote = get_object_or_404(
        Quote.objects.visible_to(request.user).select_related("customer"), pk=pk
    )
    lang = request.GET.get("lang") or translation.get_language() or "zh-hans"
    lang = "en" if lang.startswith("en") else "zh-hans"
    with translation.override(lang):
        pdf = render_pdf(quote, user=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"{quote.number}-v{quote.version_no}-{lang}.pdf"
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return response


@access_rule(record("sales.quote", "sales.change_quote"))
@login_required
@require_POST
def quote_new_version(request, pk: int):
    quote = _quote_for_change(request, pk)
    try:
        copy = actions.new_version(quote=quote, user=request.user)
    except ValidationError as exc:
        return _refused(request, quote, exc)
    messages.success(
        request, _("Version %(n)s made; change it and send it again.") % {"n": copy.version_no}
    )
    return redirect("sales:quote_edit", pk=copy.pk)


@access_rule(record("sales.quote", "sales.change_quote"))
@login_required
@require_POST
def quote_accept(request, pk: int):
    quote = _quote_for_change(request, pk)
    try:
        actions.accept_quote(quote=quote, user=request.user)
    except ValidationError as exc:
        return _refused(request, quote, exc)
    return _done(request, quote, _("The quote is accepted."))


@access_rule(record("sales.quote", "sales.change_quote"))
@login_required
@require_POST
def quote_reject(request, pk: int):
    quote = _quote_for_change(request, pk)
    form = RejectForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say why the customer rejected the quote."))
        actions.reject_quote(quote=quote, user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        return _refused(request, quote, exc)
    return _done(request, quote, _("The quote is rejected."))


@access_rule(record("sales.quote", "sales.change_quote"))
@login_required
@require_POST
def quote_send(request, pk: int):
    quote = _quote_for_change(request, pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("sales:quote_detail", pk=quote.pk)
    try:
        actions.send_quote(
            quote=quote,
            user=request.user,
            to=form.recipients(),
            subject=form.cleaned_data["subject"],
            message=form.cleaned_data["message"],
            language=form.cleaned_data["language"],
        )
    except ValidationError as exc:
        return _refused(request, quote, exc)
    except OSError as exc:  # the mail server refused or is unreachable: nothing changed
        messages.error(request, _("The e-mail could not be sent: %(error)s") % {"error": exc})
        return redirect("sales:quote_detail", pk=quote.pk)
    return _done(
        request, quote, _("The quote was sent to %(to)s.") % {"to": ", ".join(form.recipients())}
    )
