from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import import_views, picker_views, saved_views, site_views
from .access_rules import LOGGED_IN, PUBLIC, declare

app_name = "core"

urlpatterns = [
    path("", site_views.home, name="home"),
    path("dashboard/<slug:key>/", site_views.dashboard_card, name="dashboard_card"),
    path("login/", site_views.login_view, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="core/password_change.html",
            success_url=reverse_lazy("core:password_done"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="core/password_done.html"),
        name="password_done",
    ),
    path("search/", site_views.search, name="search"),
    path("inbox/", site_views.inbox, name="inbox"),
    path("inbox/read/", site_views.mark_read, name="mark_all_read"),
    path("inbox/<int:pk>/read/", site_views.mark_read, name="mark_read"),
    path("jobs/", site_views.jobs, name="jobs"),
    path("jobs/<int:pk>/", site_views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/download/", site_views.job_download, name="job_download"),
    path("attachments/<uuid:token>/", site_views.attachment_download, name="attachment_download"),
    path(
        "attachments/add/<str:label>/<int:pk>/",
        site_views.attachment_upload,
        name="attachment_upload",
    ),
    path(
        "attachments/<uuid:token>/delete/",
        site_views.attachment_delete,
        name="attachment_delete",
    ),
    path(
        "attachments/of/<str:label>/<int:pk>/",
        site_views.attachment_card,
        name="attachment_card",
    ),
    path("picker/<str:label>/", picker_views.picker, name="picker"),
    path("views/", saved_views.manage, name="saved_views"),
    path("views/add/", saved_views.create, name="saved_view_add"),
    path("views/<int:pk>/", saved_views.update, name="saved_view_update"),
    path("views/<int:pk>/delete/", saved_views.delete, name="saved_view_delete"),
    path("imports/new/<str:label>/", import_views.import_start, name="import_start"),
    path(
        "imports/template/<str:label>/",
        import_views.import_template,
        name="import_template",
    ),
    path("imports/<int:pk>/map/", import_views.import_map, name="import_map"),
    path("imports/<int:pk>/reread/", import_views.import_reread, name="import_reread"),
    path("imports/<int:pk>/preview/", import_views.import_preview, name="import_preview"),
    path("imports/<int:pk>/", import_views.import_result, name="import_result"),
    path("imports/<int:pk>/errors/", import_views.import_errors, name="import_errors"),
    path("audit/", site_views.audit_log, name="audit_log"),
    path("health/", site_views.health, name="health"),
]

# Django's own views: logging out is harmless for anyone, the password pages need a session.
declare("core:logout", PUBLIC)
declare("core:password_change", LOGGED_IN)
declare("core:password_done", LOGGED_IN)
