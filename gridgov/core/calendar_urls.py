from django.urls import path

from gridgov.core import calendar_views

app_name = "calendar"

urlpatterns = [
    path("import/", calendar_views.calendar_import, name="import"),
]
