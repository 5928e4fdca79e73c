from django.urls import path

from gridgov.cases import views

app_name = "cases"

urlpatterns = [
    # Residents (no sign-in needed)
    path("report/", views.report, name="report"),
    path("report/map.json", views.report_map, name="report_map"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:ref>", views.track, name="track"),
    path("track/<str:ref>/", views.track),
    path("track/<str:ref>/rate/", views.track_rate, name="track_rate"),
    path("track/<str:ref>/reopen/", views.track_reopen, name="track_reopen"),
    # Staff and units
    path("cases/", views.worklist, name="worklist"),
    path("cases/<str:ref>/", views.detail, name="detail"),
    path("cases/<str:ref>/act/<str:action>/", views.act, name="act"),
]
