"""Start-up registrations of service requests: the SLA watch (every 15 minutes) and the names
of the shared choice lists in the API schema."""

from __future__ import annotations


def ready() -> None:
    from celery.schedules import crontab

    from kehu.core.registry import register_beat_task, register_enum_name

    register_beat_task("service-sla-check", "kehu.service.sla_check", crontab(minute="*/15"))
    for name, choices in (
        ("ServiceRequestStatusEnum", "kehu.service.models.requests.ServiceRequest.Status"),
        ("ServiceRequestPriorityEnum", "kehu.service.models.requests.ServiceRequest.Priority"),
    ):
        register_enum_name(name, choices)
