"""Signals other areas listen to, so that no area imports another's internals."""

from django.dispatch import Signal

# Sent after records were merged: sender=model class, survivor=instance, losers=list of ids,
# merge=the merge record (undoable).
records_merged = Signal()
# Sent after a merge was undone: sender=model class, survivor=instance, restored=list of ids, merge=...
merge_undone = Signal()
