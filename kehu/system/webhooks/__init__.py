"""Outbound webhooks (Webhook 推送): signed JSON deliveries of any object type's events.

- ``models``: the endpoint (URL, secret, event selection, owner) and the delivery log.
- ``dispatch``: listens to the framework's ``records_changed`` signal (sent by the one audit
  writer, :mod:`kehu.core.audit`), queues deliveries and sends them after the commit.
- ``delivery``: signs and posts one delivery (no redirects), retries with exponential backoff,
  disables an endpoint after repeated failures and tells its owner.
- ``security``: the SSRF guard (private, loopback, link-local, multicast addresses refused).
"""
