"""Choice lists (数据字典) the customers module declares; administrators edit their entries."""

from django.utils.translation import gettext_lazy as _

from kehu.system.params import register_dictionary

register_dictionary(
    "credit_rating",
    _("Credit rating"),
    [
        ("AAA", "AAA 信用极好", "AAA Excellent", "#2ca02c"),
        ("AA", "AA 信用优良", "AA Very good", "#17becf"),
        ("A", "A 信用较好", "A Good", "#1f77b4"),
        ("B", "B 信用一般", "B Fair", "#ff7f0e"),
        ("C", "C 信用较差", "C Poor", "#d62728"),
    ],
)
