"""Pipelines, stages and opportunities (商机): the business rules every page, the API, the kanban
board, imports and the demo call.

- :func:`default_pipeline` gets or creates the standard pipeline (初步接洽 … 赢单 / 输单).
- :func:`save_pipeline` / :func:`save_stage`: one default pipeline; won stages are 100 %, lost 0 %.
- :func:`create_opportunity` / :func:`update_opportunity` / :func:`save_opportunity`: numbering,
  owner, a stage of the deal's own pipeline, amounts rounded, history of the first stage.
- :func:`move_stage`: the one stage change (kanban drag, edit page, API): audited save, a
  :class:`~kehu.sales.models.StageHistory` row, status and ``closed_at`` from the stage's kind,
  a lost reason required for a lost stage.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.numbering import take_numbers
from kehu.core.saving import check_version
from kehu.system.params import get_params, round_amount

from ..models import Opportunity, Pipeline, Stage, StageHistory

#: Opportunity numbers: SJ (商机) + year and month + a counter restarting every month.
OPPORTUNITY_NUMBER_PATTERN = "SJ{YYYY}{MM}{seq:5}"

#: The default pipeline: (English message id, kind, probability %, stalled after days).
DEFAULT_PIPELINE_NAME = gettext_noop("Standard sales")
DEFAULT_STAGES: tuple[tuple[str, str, int, int], ...] = (
    (gettext_noop("Initial contact"), Stage.Kind.OPEN, 10, 14),
    (gettext_noop("Needs confirmed"), Stage.Kind.OPEN, 25, 21),
    (gettext_noop("Proposal and quote"), Stage.Kind.OPEN, 50, 21),
    (gettext_noop("Negotiation and review"), Stage.Kind.OPEN, 75, 30),
    (gettext_noop("Won"), Stage.Kind.WON, 100, 0),
    (gettext_noop("Lost"), Stage.Kind.LOST, 0, 0),
)


class PipelineError(StrEnum):
    """Error codes of the pipeline actions (``ValidationError.code``)."""

    STAGE_NOT_IN_PIPELINE = "stage_not_in_pipeline"
    LOST_REASON_REQUIRED = "lost_reason_required"
    NEGATIVE_AMOUNT = "negative_amount"
    NO_STAGE = "no_stage"
    STAGE_IN_USE = "stage_in_use"
    NO_DEFAULT = "no_default"


def field_error(field: str, message: str, code: str) -> ValidationError:
    """A ValidationError on one field that keeps its code (forms and the API show the field)."""
    return ValidationError({field: ValidationError(message, code=str(code))})


# --- Pipelines and stages ------------------------------------------------------------------------


@transaction.atomic
def default_pipeline() -> Pipeline:
    """The default pipeline, created with the standard stages the first time it is asked for."""
    found = Pipeline.objects.filter(is_default=True).order_by("pk").first()
    if found is not None:
        return found
    found = Pipeline.objects.order_by("position", "pk").first()
    if found is not None:
        return found
    pipeline = Pipeline(name=DEFAULT_PIPELINE_NAME, is_default=True, position=0)
    pipeline.save()
    for position, (name, kind, probability, stalled) in enumerate(DEFAULT_STAGES, start=1):
        Stage(
            pipeline=pipeline,
            name=name,
            kind=kind,
            probability=probability,
            stalled_after_days=stalled,
            position=position * 10,
        ).save()
    return pipeline


@transaction.atomic
def save_pipeline(pipeline: Pipeline, *, user) -> Pipeline:
    """Create or update a pipeline; only one is the default, and there is always one."""
    was_default = (
        not pipeline._state.adding
        and Pipeline.objects.filter(pk=pipeline.pk, is_default=True).exists()
    )
    if was_default and not pipeline.is_default:
        raise field_error(
            "is_default",
            _("Make another pipeline the default instead: there must always be one."),
            PipelineError.NO_DEFAULT,
        )
    pipeline.full_clean()
    pipeline.save()
    if pipeline.is_default:
        from kehu.core.audit import audited_bulk_update

        others = Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk)
        if others.exists():
            audited_bulk_update(others, is_default=False)
    return pipeline


@transaction.atomic
def save_stage(stage: Stage, *, user) -> Stage:
    """Create or update a stage: won stages are 100 %, lost ones 0 %; a stage with deals stays in
    its pipeline and keeps its kind (their status would no longer match)."""
    if stage.kind == Stage.Kind.WON:
        stage.probability = 100
    elif stage.kind == Stage.Kind.LOST:
        stage.probability = 0
    if not stage._state.adding:
        stored = Stage.objects.filter(pk=stage.pk).values("pipeline_id", "kind").first()
        used = Opportunity.objects.filter(stage_id=stage.pk).exists()
        if stored and used and stored["pipeline_id"] != stage.pipeline_id:
            raise field_error(
                "pipeline",
                _("Deals are in this stage: it cannot move to another pipeline."),
                PipelineError.STAGE_IN_USE,
            )
        if stored and used and stored["kind"] != stage.kind:
            raise field_error(
                "kind",
                _("Deals are in this stage: its kind cannot change."),
                PipelineError.STAGE_IN_USE,
            )
    stage.full_clean()
    stage.save()
    return stage


def stages_of(pipeline: Pipeline | int) -> list[Stage]:
    pk = pipeline.pk if isinstance(pipeline, Pipeline) else pipeline
    return list(Stage.objects.filter(pipeline_id=pk).order_by("position", "pk"))


def first_open_stage(pipeline: Pipeline) -> Stage:
    stage = (
        Stage.objects.filter(pipeline=pipeline, kind=Stage.Kind.OPEN)
        .order_by("position", "pk")
        .first()
    )
    if stage is None:
        raise field_error(
            "stage",
            _("The pipeline %(pipeline)s has no open stage.") % {"pipeline": pipeline},
            PipelineError.NO_STAGE,
        )
    return stage


# --- Opportunities -------------------------------------------------------------------------------


def take_opportunity_numbers(count: int, *, peek: bool = False) -> list[str]:
    """The next ``count`` deal numbers (call inside the saving transaction)."""
    pattern = getattr(get_params(), "opportunity_number_pattern", "") or OPPORTUNITY_NUMBER_PATTERN
    return take_numbers(
        pattern,
        count,
        queryset=Opportunity.objects.all(),
        field="number",
        label="sales.opportunity",
        peek=peek,
    )


def _check_stage(opp: Opportunity) -> None:
    if opp.stage_id and opp.pipeline_id and opp.stage.pipeline_id != opp.pipeline_id:
        raise field_error(
            "stage",
            _("The stage %(stage)s is not a stage of the pipeline %(pipeline)s.")
            % {"stage": opp.stage, "pipeline": opp.pipeline},
            PipelineError.STAGE_NOT_IN_PIPELINE,
        )


def _check_amount(opp: Opportunity) -> None:
    if opp.amount is None:
        opp.amount = Decimal("0")
    if Decimal(opp.amount) < 0:
        raise field_error(
            "amount", _("The amount cannot be negative."), PipelineError.NEGATIVE_AMOUNT
        )
    opp.amount = round_amount(opp.amount, "quote")


def _apply_stage(opp: Opportunity, stage: Stage, *, lost_reason: str, now) -> None:
    """Status, dates and lost reason that follow from entering ``stage``."""
    if stage.kind == Stage.Kind.LOST:
        reason = (lost_reason or opp.lost_reason or "").strip()
        if not reason:
            raise field_error(
                "lost_reason", _("Say why the deal was lost."), PipelineError.LOST_REASON_REQUIRED
            )
        opp.lost_reason = reason[:200]
    opp.stage = stage
    opp.status = {
        Stage.Kind.WON: Opportunity.Status.WON,
        Stage.Kind.LOST: Opportunity.Status.LOST,
    }.get(stage.kind, Opportunity.Status.OPEN)
    opp.closed_at = now if stage.kind != Stage.Kind.OPEN else None
    opp.stage_changed_at = now
    if stage.kind == Stage.Kind.WON and opp.expected_close is None:
        opp.expected_close = timezone.localdate(now)


def _history(opp: Opportunity, *, from_stage, previous_since, user, now) -> StageHistory:
    days = None
    if from_stage is not None and previous_since is not None:
        days = max((now - previous_since).days, 0)
    row = StageHistory(
        opportunity=opp,
        from_stage=from_stage,
        to_stage=opp.stage,
        changed_at=now,
        changed_by=user if getattr(user, "pk", None) else None,
        days_in_previous=days,
        amount=opp.amount,
    )
    row.save()
    return row


@transaction.atomic
def save_opportunity(
    opp: Opportunity,
    *,
    user,
    lost_reason: str = "",
    lost_to=None,
    now: datetime.datetime | None = None,
) -> Opportunity:
    """Create or update a deal. A new deal is owned by its creator (and department), numbered,
    in the default pipeline's first open stage unless told otherwise; a changed stage goes
    through the same rules as :func:`move_stage`, and settles the deal's competitors
    (``lost_to``: the competitor a lost deal went to, optional)."""
    now = now or timezone.now()
    adding = opp._state.adding
    if adding:
        if not opp.owner_id:
            opp.owner = user
        if not opp.department_id:
            opp.department_id = opp.owner.department_id
        if not opp.number:
            opp.number = take_opportunity_numbers(1)[0]
    if not opp.pipeline_id:
        opp.pipeline = opp.stage.pipeline if opp.stage_id else default_pipeline()
    if not opp.stage_id:
        opp.stage = first_open_stage(opp.pipeline)
    if not opp.currency:
        opp.currency = get_params().currency
    _check_stage(opp)
    _check_amount(opp)
    if not adding:
        # A deal with products is worth their sum (kehu.sales.actions.opportunity_lines); a
        # typed amount applies only to a deal without any.
        total = opp.lines.aggregate(total=Sum("line_total"))["total"]
        if total is not None:
            opp.amount = total
    previous = (
        None
        if adding
        else Opportunity.objects.filter(pk=opp.pk).values("stage_id", "stage_changed_at").first()
    )
    stage_changed = adding or (previous is not None and previous["stage_id"] != opp.stage_id)
    if stage_changed:
        _apply_stage(opp, opp.stage, lost_reason=lost_reason, now=now)
    elif lost_reason and opp.status == Opportunity.Status.LOST:
        opp.lost_reason = lost_reason.strip()[:200]
    opp.full_clean(exclude=["owner", "department"] if opp.department_id is None else None)
    opp.save()
    if stage_changed:
        from_stage = None
        if previous is not None:
            from_stage = Stage.objects.get(pk=previous["stage_id"])
        _history(
            opp,
            from_stage=from_stage,
            previous_since=previous and previous["stage_changed_at"],
            user=user,
            now=now,
        )
        if not adding:
            from .competitors import settle_deal_competitors

            settle_deal_competitors(opportunity=opp, lost_to=lost_to)
    return opp


def create_opportunity(*, user, data: dict) -> Opportunity:
    """A new deal from field values (``lost_reason`` may come along for a lost stage)."""
    from kehu.core.registry import get_object_type

    return get_object_type(Opportunity).actions.create(user=user, data=data)


def update_opportunity(
    *, user, opportunity: Opportunity, data: dict, version: int | None = None
) -> Opportunity:
    from kehu.core.registry import get_object_type

    return get_object_type(Opportunity).actions.update(
        user=user, obj=opportunity, data=data, version=version
    )


@transaction.atomic
def move_stage(
    *,
    user,
    opportunity: Opportunity,
    stage: Stage,
    lost_reason: str = "",
    lost_to=None,
    version: int | None = None,
    now: datetime.datetime | None = None,
) -> Opportunity:
    """Move a deal to ``stage`` of its own pipeline (kanban drag, API, edit page): the save is
    audited, the change is recorded in the stage history with the days spent in the previous
    stage; won/lost stages close the deal (``closed_at``), a lost stage needs a reason, an open
    stage reopens it. Moving to the stage it is in does nothing. ``lost_to``: the competitor a
    lost deal went to (optional), recorded on the deal's competitors."""
    opp = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    check_version(opp, version)
    if stage.pipeline_id != opp.pipeline_id:
        raise field_error(
            "stage",
            _("The stage %(stage)s is not a stage of the pipeline %(pipeline)s.")
            % {"stage": stage, "pipeline": opp.pipeline},
            PipelineError.STAGE_NOT_IN_PIPELINE,
        )
    if stage.pk == opp.stage_id:
        return opp
    opp.stage = stage
    return save_opportunity(opp, user=user, lost_reason=lost_reason, lost_to=lost_to, now=now)


@transaction.atomic
def delete_opportunity(*, user, obj: Opportunity) -> None:
    """Delete a deal and its stage history; quotes made for it stay, unlinked (audited)."""
    from kehu.core.audit import audited_bulk_update, audited_write, delete_record

    for rel in Opportunity._meta.related_objects:
        if rel.on_delete.__name__ == "SET_NULL":
            linked = rel.related_model._base_manager.filter(**{rel.field.name: obj})
            if linked.exists():
                audited_bulk_update(linked, **{rel.field.name: None})
    # The links were cleared (and audited) above: the collector's SET NULL update is empty.
    with audited_write():
        delete_record(obj=obj, user=user)


def import_create_opportunities(objs: list, ctx) -> None:
    """Imported deals go one by one through :func:`save_opportunity` (numbers, stage, history)."""
    user = getattr(ctx, "user", None)
    for obj in objs:
        save_opportunity(obj, user=user)
