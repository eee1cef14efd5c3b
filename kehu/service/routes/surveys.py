"""The survey page reached from the e-mail and the survey report."""

from django.urls import path

from ..views import surveys

urlpatterns = [
    path("survey/<str:token>/<int:score>/", surveys.survey, name="survey"),
    path("reports/surveys/", surveys.survey_report, name="survey_report"),
]
