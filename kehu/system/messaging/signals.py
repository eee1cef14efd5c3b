"""Signals of the messaging layer, for the modules above it (marketing marks its members)."""

from django.dispatch import Signal

#: A recipient unsubscribed through a delivery's link (``delivery=``), inside its transaction.
unsubscribed = Signal()
