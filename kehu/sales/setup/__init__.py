"""Per-area start-up registrations of the sales module: each module defines ``ready()``,
called from ``SalesConfig.ready``."""
