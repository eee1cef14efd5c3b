"""Demo org chart: a group with branches, offices and teams, employees in every role."""

from __future__ import annotations

from kehu.core.demo import DemoContext, generator
from kehu.core.permissions import DataScope

from ..actions import DefaultRole, create_department, create_employee, ensure_default_roles
from ..models import Department, User

DEMO_PASSWORD = "kehu-demo"  # printed by `kehu demo`; demo installs only
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宇浩凯健俊帆帅旭宁龙林欣怡佳雪琳晨阳博睿"
BRANCHES = [
    ("华东分公司", "EAST", "上海"),
    ("华北分公司", "NORTH", "北京"),
    ("华南分公司", "SOUTH", "广州"),
    ("西南分公司", "WEST", "成都"),
]


def demo_password_hash() -> str:
    """Hash the demo password once: hashing it per employee would dominate the demo's run time."""
    from django.contrib.auth.hashers import make_password

    return make_password(DEMO_PASSWORD)


def person_name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


@generator(10, "org chart and employees")
def org_chart(ctx: DemoContext) -> None:
    roles = ensure_default_roles()
    rng = ctx.rng
    if Department.objects.filter(code="HQ").exists():
        ctx.data["departments"] = list(Department.objects.all())
        ctx.data["salespeople"] = list(User.objects.filter(roles__name=DefaultRole.SALESPERSON))
        return
    pw = demo_password_hash()
    group = create_department(name="客户科技集团", code="HQ")
    admin = User.objects.filter(username="admin").first() or create_employee(
        username="admin",
        password=pw,
        display_name="系统管理员",
        department=group,
        roles=[roles[DefaultRole.ADMINISTRATOR]],
        title="系统管理员",
        is_superuser=True,
    )
    create_employee(
        username="director",
        password=pw,
        display_name="总经理 " + person_name(rng),
        department=group,
        roles=[roles[DefaultRole.DIRECTOR]],
        title="总经理",
    )
    salespeople, departments = [], [group]
    per_team = max(1, ctx.employees // 20)
    n = 0
    for b_index, (bname, bcode, _city) in enumerate(BRANCHES):
        branch = create_department(name=bname, code=bcode, parent=group)
        departments.append(branch)
        manager = create_employee(
            username=f"manager{b_index + 1}",
            password=pw,
            display_name=person_name(rng),
            department=branch,
            roles=[roles[DefaultRole.BRANCH_MANAGER]],
            title="分公司经理",
        )
        for t in range(1, 3):
            team = create_department(
                name=f"{bname[:2]}销售{t}部", code=f"{bcode}-S{t}", parent=branch
            )
            departments.append(team)
            lead = create_employee(
                username=f"lead{b_index + 1}{t}",
                password=pw,
                display_name=person_name(rng),
                department=team,
                roles=[roles[DefaultRole.SALES_MANAGER]],
                manager=manager,
                title="销售经理",
            )
            for _ in range(per_team):
                n += 1
                salespeople.append(
                    create_employee(
                        username=f"sales{n}",
                        password=pw,
                        display_name=person_name(rng),
                        department=team,
                        roles=[roles[DefaultRole.SALESPERSON]],
                        manager=lead,
                        title="销售代表",
                    )
                )
        service = create_department(name=f"{bname[:2]}服务部", code=f"{bcode}-SV", parent=branch)
        departments.append(service)
    ctx.data["departments"] = departments
    ctx.data["salespeople"] = salespeople
    ctx.data["admin"] = admin
    _ = DataScope
