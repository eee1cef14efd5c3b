"""Per-area start-up registrations of the service module: each module defines ``ready()``,
called from ``ServiceConfig.ready``."""
