"""``kehu mail-intake``: one e-mail on standard input becomes a service request or is added to
one — the command a Postfix ``pipe`` transport runs for the service mailbox (see
docs/guide/service-email.md).

Exit status, as a mail server reads it: 0 when the message was taken in (opened, threaded,
rejected by the rules, or a duplicate: it is recorded and must not bounce back to a stranger);
75 (``EX_TEMPFAIL``) when it could not be stored now — the mail server keeps it and tries again."""

from __future__ import annotations

import logging
import sys

from django.core.management.base import BaseCommand, CommandError

EX_TEMPFAIL = 75
log = logging.getLogger("kehu.service.mail")


class Command(BaseCommand):
    help = (
        "Read one e-mail message on standard input and open a service request with it, or add "
        "it to the request it answers (by In-Reply-To/References). For a mail server's pipe."
    )
    requires_system_checks = []  # run once per message: start fast

    def add_arguments(self, parser):
        parser.add_argument("--recipient", default="", help="envelope recipient (${recipient})")
        parser.add_argument("--sender", default="", help="envelope sender (${sender}), logged")
        parser.add_argument("--file", help="read the message from this file, not standard input")

    def handle(self, *args, **opts):
        from kehu.service.actions.mail import max_message_bytes, read_capped, receive_message

        try:
            if opts["file"]:
                with open(opts["file"], "rb") as fh:
                    raw, size = read_capped(fh, max_message_bytes())
            else:
                raw, size = read_capped(sys.stdin.buffer, max_message_bytes())
        except OSError as exc:
            raise CommandError(f"cannot read the message: {exc}", returncode=EX_TEMPFAIL) from exc
        try:
            result = receive_message(raw=raw, recipient=opts["recipient"], size=size)
        except Exception as exc:  # noqa: BLE001 - not stored: the mail server must try again
            raise CommandError(
                f"not taken in now, try again later: {type(exc).__name__}: {exc}",
                returncode=EX_TEMPFAIL,
            ) from exc
        log.info(
            "mail-intake from %s to %s: %s", opts["sender"], opts["recipient"], result.summary()
        )
        self.stdout.write(result.summary())
