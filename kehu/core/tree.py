"""Trees on a materialised path (departments, product categories): a node owns its moves.

A save that changes a node's parent or code rewrites the path and depth of its subtree with one
audited bulk save through the writer (``core.audit``), in the same transaction, and refuses a
parent below the node. It sits above the writer, which the base models cannot import.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .audit import audited_bulk_save
from .models import BaseModel


class TreeNode(BaseModel):
    """A node of a tree of any depth; ``path`` (codes joined by "/") makes a subtree one lookup.

    The node owns its moves: a save that changes its path (a new parent, a new code) refuses a
    parent inside its own subtree and rewrites the paths and depths of the whole subtree in the
    same transaction, through the audit writer (one ``audited_bulk_save``: every descendant
    gets an entry with its old and new path and its version bumped). Departments and product
    categories both use it; data permissions by sub-department hold the moment it commits.
    """

    code = models.CharField(_("code"), max_length=30, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    #: Why a parent is refused (each tree words it for its own nodes).
    cycle_message: ClassVar[Any] = _("A node cannot be moved under itself or one of its children.")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self.code:
            raise ValueError(f"{type(self).__name__}.code is required")
        with transaction.atomic(using=kwargs.get("using")):
            old = None if self._state.adding else self._stored_position()
            if old is not None and self.parent_id:
                # the parent as stored now: a stale in-memory parent would write a stale path
                self.parent = type(self)._base_manager.get(pk=self.parent_id)
                self._check_parent(self.parent, old[0])
            self.depth = self.parent.depth + 1 if self.parent_id else 0
            self.path = f"{self.parent.path if self.parent_id else ''}{self.code}/"
            super().save(*args, **kwargs)
            if old is not None and old[0] != self.path:
                self._move_subtree(*old)

    def move_to(self, parent: TreeNode | None) -> TreeNode:
        """Put the node, with its whole subtree, under ``parent`` (``None``: at the top).

        Raises ``ValidationError`` (on ``parent``, code ``cycle``) for the node itself or a
        node below it, and ``StaleObjectError`` if the node was changed since it was loaded."""
        self.parent = parent
        self.save()
        return self

    def check_parent(self, parent: TreeNode | None) -> None:
        """Refuse ``parent`` if it is this node or below it (``ValidationError``, code ``cycle``):
        for an action that reports it with its other checks before saving."""
        if parent is None or self._state.adding:
            return
        old = self._stored_position()
        if old is not None:
            self._check_parent(type(self)._base_manager.get(pk=parent.pk), old[0])

    def _stored_position(self) -> tuple[str, int] | None:
        """(path, depth) as stored: what the subtree is found by (None if the row is gone)."""
        row = type(self)._base_manager.filter(pk=self.pk).values_list("path", "depth").first()
        return tuple(row) if row else None

    def _check_parent(self, parent: TreeNode, old_path: str) -> None:
        if parent.pk == self.pk or parent.path.startswith(old_path):
            from django.core.exceptions import ValidationError

            raise ValidationError({"parent": str(self.cycle_message)}, code="cycle")

    def _move_subtree(self, old_path: str, old_depth: int) -> int:
        """Rewrite the path and depth of every node below (the node itself is saved), audited."""
        shift = self.depth - old_depth
        nodes = list(
            type(self)
            ._base_manager.filter(path__startswith=old_path)
            .exclude(pk=self.pk)
            .select_for_update()
            .order_by("depth", "pk")
        )
        for node in nodes:
            node.path = self.path + node.path[len(old_path) :]
            node.depth += shift
        return audited_bulk_save(nodes, ["path", "depth"])

    def ancestor_paths(self) -> list[str]:
        parts = self.path.strip("/").split("/")
        return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
