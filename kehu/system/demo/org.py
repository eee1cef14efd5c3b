"""Demo org chart: a group with four regional companies, their branches, sales departments with
teams and service offices, and a few hundred employees in every role, some with skills.

Logins (password ``kehu-demo``): admin, director, manager1–4 (regional companies), bm11… (city
branches), lead11… (sales teams), svc11… (service offices), sales1…, service1….
"""

from __future__ import annotations

from kehu.core.actions import bulk_create_audited
from kehu.core.demo import DemoContext, generator

from ..actions import DefaultRole, create_department, create_employee, ensure_default_roles
from ..models import Department, EmployeeSkill, User

DEMO_PASSWORD = "kehu-demo"  # printed by `kehu demo`; demo installs only
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宇浩凯健俊帆帅旭宁龙林欣怡佳雪琳晨阳博睿"
# Regional company, code, and its city branches (name, code suffix).
BRANCHES = [
    ("华东分公司", "EAST", [("上海", "SH"), ("杭州", "HZ")]),
    ("华北分公司", "NORTH", [("北京", "BJ"), ("天津", "TJ")]),
    ("华南分公司", "SOUTH", [("广州", "GZ"), ("深圳", "SZ")]),
    ("西南分公司", "WEST", [("成都", "CD"), ("重庆", "CQ")]),
]
TEAMS_PER_BRANCH = 2
SKILLS = ["电力设备", "网络", "软件", "售后维修"]


def demo_password_hash() -> str:
    """Hash the demo password once: hashing it per employee would dominate the demo's run time."""
    from django.contrib.auth.hashers import make_password

    return make_password(DEMO_PASSWORD)


def person_name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


class _Staff:
    """Hands out employee numbers and phone numbers in creation order (deterministic)."""

    def __init__(self, rng, password: str) -> None:
        self.rng, self.password, self.n = rng, password, 0

    def person(self, username: str, department: Department, title: str, manager=None) -> User:
        self.n += 1
        return User(
            username=username,
            display_name=person_name(self.rng),
            department=department,
            manager=manager,
            title=title,
            employee_no=f"E{self.n:05d}",
            phone=f"1{self.rng.choice('3589')}{self.rng.randrange(10**9):09d}",
            email=f"{username}@kehu.example",
            password=self.password,
        )

    def key(self, username: str, department: Department, title: str, role, manager=None):
        """A manager-level employee, saved one by one (they are managers of the bulk ones)."""
        user = self.person(username, department, title, manager)
        user.save()
        user.roles.add(role)
        return user


@generator(10, "org chart and employees")
def org_chart(ctx: DemoContext) -> None:
    roles = ensure_default_roles()
    rng = ctx.rng
    if Department.objects.filter(code="HQ").exists():
        ctx.data["departments"] = list(Department.objects.all())
        ctx.data["salespeople"] = list(
            User.objects.filter(roles__name=DefaultRole.SALESPERSON, is_active=True)
        )
        ctx.data["service_agents"] = list(
            User.objects.filter(roles__name=DefaultRole.SERVICE_AGENT, is_active=True)
        )
        ctx.data["admin"] = User.objects.filter(username="admin").first()
        return
    pw = demo_password_hash()
    staff = _Staff(rng, pw)
    group = create_department(name="客户科技集团", code="HQ", kind=Department.Kind.GROUP)
    admin = User.objects.filter(username="admin").first() or create_employee(
        username="admin",
        password=pw,
        display_name="系统管理员",
        department=group,
        roles=[roles[DefaultRole.ADMINISTRATOR]],
        title="系统管理员",
        is_superuser=True,
    )
    director = staff.key("director", group, "总经理", roles[DefaultRole.DIRECTOR])
    director.display_name = "总经理 " + director.display_name
    director.save()

    # The structure and its managers first, then everybody else in bulk.
    departments = [group]
    sales_teams: list[tuple[Department, User]] = []
    service_offices: list[tuple[Department, User]] = []
    for r, (rname, rcode, cities) in enumerate(BRANCHES, start=1):
        region = create_department(
            name=rname, code=rcode, parent=group, kind=Department.Kind.COMPANY
        )
        departments.append(region)
        regional = staff.key(
            f"manager{r}", region, "分公司总经理", roles[DefaultRole.BRANCH_MANAGER], director
        )
        team_no = 0
        for b, (city, ccode) in enumerate(cities, start=1):
            branch = create_department(
                name=f"{city}分部", code=f"{rcode}-{ccode}", parent=region, kind="branch"
            )
            sales = create_department(
                name=f"{city}销售部", code=f"{rcode}-{ccode}-S", parent=branch, kind="office"
            )
            service = create_department(
                name=f"{city}服务部", code=f"{rcode}-{ccode}-SV", parent=branch, kind="office"
            )
            departments += [branch, sales, service]
            head = staff.key(
                f"bm{r}{b}", branch, "分部经理", roles[DefaultRole.BRANCH_MANAGER], regional
            )
            for t in range(1, TEAMS_PER_BRANCH + 1):
                team_no += 1
                team = create_department(
                    name=f"{city}销售{t}组",
                    code=f"{rcode}-{ccode}-S{t}",
                    parent=sales,
                    kind=Department.Kind.TEAM,
                )
                departments.append(team)
                lead = staff.key(
                    f"lead{r}{team_no}", team, "销售经理", roles[DefaultRole.SALES_MANAGER], head
                )
                sales_teams.append((team, lead))
            svc_lead = staff.key(
                f"svc{r}{b}", service, "服务主管", roles[DefaultRole.SERVICE_AGENT], head
            )
            service_offices.append((service, svc_lead))

    # Salespeople and service agents up to the requested head count (at least one per unit).
    key_people = User.objects.count()
    rest = max(ctx.employees - key_people, len(sales_teams) + len(service_offices))
    n_service = max(len(service_offices), rest // 4)
    n_sales = max(len(sales_teams), rest - n_service)
    salespeople, agents = [], []
    for i in range(n_sales):
        team, lead = sales_teams[i % len(sales_teams)]
        salespeople.append(staff.person(f"sales{i + 1}", team, "销售代表", lead))
    for i in range(n_service):
        office, svc_lead = service_offices[i % len(service_offices)]
        agents.append(staff.person(f"service{i + 1}", office, "服务工程师", svc_lead))
    salespeople = bulk_create_audited(User, salespeople)
    agents = bulk_create_audited(User, agents)
    Through = User.roles.through
    Through.objects.bulk_create(
        [Through(user_id=u.pk, role_id=roles[DefaultRole.SALESPERSON].pk) for u in salespeople]
        + [Through(user_id=u.pk, role_id=roles[DefaultRole.SERVICE_AGENT].pk) for u in agents]
    )
    skills = []
    for person in agents + [lead for _o, lead in service_offices]:
        for skill in rng.sample(SKILLS, rng.choice((1, 2, 3))):
            skills.append(EmployeeSkill(user=person, skill=skill, level=rng.randint(1, 5)))
    for person in salespeople:
        if rng.random() < 0.3:
            skill = rng.choice(SKILLS[:3])
            skills.append(EmployeeSkill(user=person, skill=skill, level=rng.randint(1, 4)))
    EmployeeSkill.objects.bulk_create(skills)

    ctx.data["departments"] = departments
    ctx.data["salespeople"] = salespeople
    ctx.data["service_agents"] = agents
    ctx.data["admin"] = admin
    ctx.out(f"  {len(departments)} departments, {User.objects.count()} employees")
