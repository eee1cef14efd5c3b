"""A real SMTP server on loopback (aiosmtpd) for the messaging tests and the benchmark: keeps
what it receives; can refuse given recipients (permanently or for now)."""

from __future__ import annotations

import socket
import threading


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    def __init__(self, port: int | None = None, *, keep: bool = True):
        self.port = port or free_port()
        self.keep = keep
        self.received = []
        self.count = 0
        self.refuse: dict[str, str] = {}  # address -> SMTP answer, e.g. "550 no such user"
        self.controller = None
        self._lock = threading.Lock()

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address in sink.refuse:
                    return sink.refuse[address]
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                with sink._lock:
                    sink.count += 1
                    if sink.keep:
                        sink.received.append(envelope)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def recipients(self) -> list[str]:
        return [r for e in self.received for r in e.rcpt_tos]
