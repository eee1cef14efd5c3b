"""Choice lists (数据字典) the service module declares; administrators edit their entries."""

from django.utils.translation import gettext_lazy as _

from kehu.system.params import register_dictionary

register_dictionary(
    "service_category",
    _("Service category"),
    [
        ("installation", "安装调试", "Installation", "#1f77b4"),
        ("fault", "故障报修", "Fault", "#d62728"),
        ("usage", "使用咨询", "How-to question", "#2ca02c"),
        ("billing", "账务问题", "Billing", "#9467bd"),
        ("delivery", "物流配送", "Delivery", "#ff7f0e"),
        ("other", "其他", "Other", "#7f7f7f"),
    ],
)
register_dictionary(
    "service_level",
    _("Service level"),
    [
        ("gold", "金牌服务", "Gold", "#d4a017"),
        ("silver", "银牌服务", "Silver", "#8c8c8c"),
        ("bronze", "铜牌服务", "Bronze", "#a0522d"),
    ],
)
