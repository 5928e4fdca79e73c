from django.urls import path

from gridgov.notify import views

app_name = "notify"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox_read_all"),
    path("inbox/settings/", views.inbox_settings, name="settings"),
    path("inbox/<int:notification_id>/read/", views.inbox_read, name="inbox_read"),
]
