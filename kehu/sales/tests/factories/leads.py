from kehu.core.testing import factory
from kehu.sales.models.leads import Lead


@factory("sales.lead")
def lead(owner, n: int = 1, **kw) -> Lead:
    obj = Lead(
        name=kw.pop("name", f"线索{owner.pk}-{n}"),
        company=kw.pop("company", f"线索公司{owner.pk}-{n}"),
        mobile=kw.pop("mobile", f"139{owner.pk:04d}{n:04d}"),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj


@factory("sales.webform")
def web_form(owner, n: int = 1, **kw):
    from kehu.sales.models.leads import WebForm

    obj = WebForm(name=kw.pop("name", f"表单{owner.pk}-{n}"), fallback_owner=owner, **kw)
    obj.save()
    return obj


@factory("sales.leadscoringrule")
def scoring_rule(owner, n: int = 1, **kw):
    from kehu.sales.models.leads import LeadScoringRule

    obj = LeadScoringRule(
        name=kw.pop("name", f"评分{owner.pk}-{n}"),
        field=kw.pop("field", "email"),
        condition=kw.pop("condition", "is_set"),
        points=kw.pop("points", 5),
        **kw,
    )
    obj.save()
    return obj


@factory("sales.leadassignmentrule")
def assignment_rule(owner, n: int = 1, **kw):
    from kehu.sales.models.leads import LeadAssignmentRule

    obj = LeadAssignmentRule(
        name=kw.pop("name", f"分配{owner.pk}-{n}"), department=owner.department, **kw
    )
    obj.save()
    return obj
