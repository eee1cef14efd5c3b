"""Authentication backend: functional and special permissions come from the user's roles,
held directly or through their department (see ``kehu.system.access``)."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    def _get_group_permissions(self, user_obj):
        from .access import get_access

        return Permission.objects.filter(roles__in=get_access(user_obj).role_ids)
