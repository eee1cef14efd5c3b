"""Demo: lifecycle stages and this week's care tasks, once every other generator has run (late
order: activities, orders and payments, when their modules add them, feed the stages)."""

from kehu.core.demo import DemoContext, generator

from ..actions import generate_care_tasks, recompute_lifecycle


@generator(90, "lifecycle stages and care tasks")
def lifecycle(ctx: DemoContext) -> None:
    moved = recompute_lifecycle()
    ctx.out(f"  stages: {dict(sorted(moved.items()))}")
    care = generate_care_tasks()
    ctx.out(f"  care tasks: {care['created']} (suppressed {care['suppressed']})")
