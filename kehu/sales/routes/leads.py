"""Pages of the leads area: leads, their conversion, the lead settings and the public forms."""

from django.urls import path

from kehu.core.views import object_urls

from ..object_types.leads import ASSIGNMENT_RULE, LEAD, SCORING_RULE, WEB_FORM
from ..views import leads as views

urlpatterns = [
    # Specialised views first: they answer the same paths the generic ones would.
    path("leads/", views.LeadListView.as_view(object_type=LEAD), name="lead_list"),
    path("leads/<int:pk>/", views.LeadDetailView.as_view(object_type=LEAD), name="lead_detail"),
    path("leads/assign/", views.lead_bulk_assign, name="lead_assign"),
    path("leads/<int:pk>/convert/", views.lead_convert, name="lead_convert"),
    path("leads/<int:pk>/contacted/", views.lead_contacted, name="lead_contacted"),
    *object_urls(LEAD),
    path(
        "webforms/<int:pk>/",
        views.WebFormDetailView.as_view(object_type=WEB_FORM),
        name="webform_detail",
    ),
    *object_urls(WEB_FORM),
    *object_urls(SCORING_RULE),
    *object_urls(ASSIGNMENT_RULE),
    # public: no login (the secret key in the address names the form)
    path("f/<str:token>/", views.webform_public, name="webform_public"),
    path("f/<str:token>/submit/", views.webform_submit, name="webform_submit"),
]
