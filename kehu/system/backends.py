"""Authentication backend: passwords with the login lockout, and functional and special permissions
from the user's roles, held directly or through their department (see ``kehu.system.access``, which
caches them)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        """Every entry point that takes a password (the login form, any API login) comes here, so
        the lockout cannot be bypassed: a locked account is refused even with the right password,
        every wrong password is counted. Unknown and locked accounts cost one hash like a wrong
        password, so timing does not tell them apart either."""
        from .actions.auth import is_locked, record_failed_login, record_successful_login

        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            User().set_password(password)  # the same work as for a real account
            return None
        if is_locked(user):
            User().set_password(password)
            return None
        if not user.check_password(password):
            record_failed_login(user=user)
            return None
        if not self.user_can_authenticate(user):
            return None
        record_successful_login(user=user)
        return user

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
