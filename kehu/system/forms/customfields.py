"""The custom field definition form: choices edited one per line as ``code | 中文 | English``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm

from ..models import CustomField, custom_field_object_types


def choices_to_text(choices) -> str:
    return "\n".join(
        " | ".join(
            part for part in (c.get("code", ""), c.get("label_zh", ""), c.get("label_en", ""))
        ).rstrip(" |")
        for c in choices or []
        if isinstance(c, dict)
    )


def text_to_choices(text: str) -> list[dict[str, str]]:
    choices = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        code, zh, en = (parts + ["", "", ""])[:3]
        choices.append({"code": code, "label_zh": zh or code, "label_en": en})
    return choices


class CustomFieldForm(BaseModelForm):
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "wechat | 微信 | WeChat"}),
        help_text=_(
            "For choice fields: one choice per line as “code | Chinese label | English label”. "
            "A removed choice stays on the records that hold it, shown as its code."
        ),
    )
    default_text = forms.CharField(
        label=_("Default value"),
        required=False,
        help_text=_("Filled in on new records; for a choice, its code; for a date, 2026-03-31."),
    )

    class Meta:
        model = CustomField
        fields = [
            "object_type",
            "code",
            "label_zh",
            "label_en",
            "kind",
            "required",
            "help_text",
            "min_value",
            "max_value",
            "order",
            "is_active",
            "show_in_list",
            "filterable",
            "searchable",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"] = forms.ChoiceField(
            label=CustomField._meta.get_field("object_type").verbose_name,
            choices=custom_field_object_types(),
            widget=forms.Select(attrs={"class": "form-select"}),
        )
        self.fields["order"].required = False
        if not self.instance.pk:
            self.initial["order"] = None
            self.fields["order"].help_text = _("Leave empty to put the field last.")
        self.order_fields(
            [
                "object_type",
                "code",
                "label_zh",
                "label_en",
                "kind",
                "choices_text",
                "default_text",
                "min_value",
                "max_value",
                "help_text",
                "order",
                "required",
                "is_active",
                "show_in_list",
                "filterable",
                "searchable",
            ]
        )
        if self.instance.pk:
            self.fields["object_type"].disabled = True
            self.fields["code"].disabled = True
            self.initial["choices_text"] = choices_to_text(self.instance.choices)
            default = self.instance.default
            if default is not None:
                self.initial["default_text"] = (
                    ", ".join(default) if isinstance(default, list) else str(default)
                )

    def action_data(self) -> dict:
        """The choices and the default, parsed from their text fields by ``clean``."""
        data = super().action_data()
        data.update(choices=self.instance.choices, default=self.instance.default)
        return data

    def clean(self):
        from django.core.exceptions import ValidationError

        from kehu.core.customfields import coerce_custom_value

        from ..customfields import to_definition

        data = super().clean()
        self.instance.choices = text_to_choices(data.get("choices_text", ""))
        self.instance.kind = data.get("kind") or self.instance.kind
        self.instance.min_value = data.get("min_value")
        self.instance.max_value = data.get("max_value")
        raw = (data.get("default_text") or "").strip()
        if not raw:
            self.instance.default = None
        else:
            try:
                self.instance.default = coerce_custom_value(to_definition(self.instance), raw)
            except ValidationError as exc:
                self.add_error("default_text", exc)
                return data
        if not self.errors:
            from ..actions.customfields import check_custom_field

            if not self.instance.pk:
                self.instance.object_type = data.get("object_type", "")
                self.instance.code = data.get("code", "")
            try:
                check_custom_field(self.instance)
            except ValidationError as exc:
                names = {"choices": "choices_text", "default": "default_text"}
                for name, errors in exc.message_dict.items():
                    target = names.get(name, name)
                    self.add_error(target if target in self.fields else None, errors)
        return data
