"""The background side of sending: a message is cut into batches, each batch a task that sends
over one provider connection, rate-limited per worker and retried with a growing pause when the
provider accepts nothing (an SMTP server down). Tasks take IDs, never objects."""

from __future__ import annotations

import logging

from celery import shared_task

from . import conf

log = logging.getLogger(__name__)


@shared_task(name="kehu.messaging.dispatch", ignore_result=True)
def dispatch_message(message_id: int) -> int:
    """Queue one batch task per ``KEHU_MESSAGING_BATCH_SIZE`` queued deliveries."""
    from .actions import queued_batches

    batches = queued_batches(message_id)
    for ids in batches:
        send_batch_task.delay(ids)
    return len(batches)


@shared_task(
    name="kehu.messaging.send_batch",
    bind=True,
    ignore_result=True,
    rate_limit=conf.rate_limit(),
    max_retries=None,  # counted here against KEHU_MESSAGING_MAX_RETRIES
)
def send_batch_task(self, delivery_ids: list[int]) -> dict:
    from .actions import TemporaryFailure, give_up, send_batch

    try:
        result = send_batch(delivery_ids)
    except TemporaryFailure as exc:
        if self.request.retries >= conf.max_retries():
            failed = give_up(delivery_ids, str(exc))
            log.error("messaging batch gave up after %s tries: %s", self.request.retries, exc)
            return {"failed": failed}
        delay = conf.retry_delay(self.request.retries)
        log.warning("messaging batch paused %ss (try %s): %s", delay, self.request.retries, exc)
        raise self.retry(exc=exc, countdown=delay) from exc
    return result.__dict__
