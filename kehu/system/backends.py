"""Authentication backend: functional and special permissions come from the user's roles,
held directly or through their department (see ``kehu.system.access``, which caches them)."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            from .access import get_access

            user_obj._perm_cache = set(get_access(user_obj).permissions)
        return user_obj._perm_cache

    def _get_group_permissions(self, user_obj):
        from .access import get_access

        return Permission.objects.filter(roles__in=get_access(user_obj).role_ids)
