"""The team's figures (团队数据) behind the managers' dashboard card: derived data, rebuilt from
the customers and activities (``kehu.customers.teamfigures``), never edited.

One row per (customer's department, customer's owner, activity owner): the customers of that
department and owner (rows without a person) and their activities' counts per employee (rows
with one). A manager's numbers are the sum over the rows their customer scope reaches: the rows
carry the customer's department and owner, so ``visible_to`` applies the customers' own data
scope to them (``data_scope_label``) and the sums are those of ``Customer.objects`` and
``Activity.objects.visible_to(user)``, as of the last refresh.
"""

from __future__ import annotations

from django.db import models

from kehu.core.models import RestrictedManager

__all__ = ["TeamFigures", "TeamFiguresState"]


class TeamFigures(models.Model):
    """Counts of one (department, owner, person) group for the day of the last refresh."""

    # Plain IDs, not foreign keys: derived rows must not count as records that depend on a
    # department or an employee (purge, merge), and a refresh replaces them anyway.
    department_id = models.PositiveBigIntegerField(null=True)  # the customer's department
    owner_id = models.PositiveBigIntegerField(null=True)  # the customer's owner
    person_id = models.PositiveBigIntegerField(null=True)  # the activity's owner; None: customers
    customers = models.PositiveIntegerField(default=0)
    new_customers = models.PositiveIntegerField(default=0)  # created this month
    done_week = models.PositiveIntegerField(default=0)  # done, started this week up to today
    planned_week = models.PositiveIntegerField(default=0)  # planned, this week up to today
    overdue = models.PositiveIntegerField(default=0)  # planned, started before today
    promises_overdue = models.PositiveIntegerField(default=0)  # open promise due before today

    owner_path = "owner_id"
    department_path = "department_id"
    data_scope_label = "customers.customer"  # the customers' scope, as for activities

    objects = RestrictedManager()

    class Meta:
        default_permissions = ()  # derived data: no one edits it, no role grants it
        indexes = [models.Index(fields=["department_id", "owner_id"])]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.owner_id}/{self.person_id}"


class TeamFiguresState(models.Model):
    """The one row saying for which day the figures were computed and up to which audit entry
    the changes are in (the next refresh recomputes the departments changed after it)."""

    day = models.DateField(null=True)  # None: never computed
    computed_at = models.DateTimeField(null=True)
    full_at = models.DateTimeField(null=True)  # the last full rebuild (hourly: a safety net)
    audit_id = models.PositiveBigIntegerField(default=0)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.day} {self.computed_at}"
