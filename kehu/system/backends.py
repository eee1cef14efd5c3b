"""Authentication backend: functional and special permissions come from the user's roles."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user)

    def _get_group_permissions(self, user_obj):
        return Permission.objects.filter(roles__users=user_obj) | super()._get_group_permissions(
            user_obj
        )
