"""``{% request_comments_card object %}``: the request's comments (the customer's from the
portal and the staff's answers) on the staff request page, with the answer form."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("service/portal/_request_comments_card.html", takes_context=True)
def request_comments_card(context, req):
    from ..forms.portal import CommentForm

    comments = req.comments.select_related("account__contact", "author").order_by(
        "created_at", "pk"
    )
    return {
        "req": req,
        "comments": list(comments),
        "may_answer": context.get("can_change", False) or bool(context.get("moves")),
        "form": CommentForm(),
        "csrf_token": context.get("csrf_token"),
    }
