from django.urls import path

from gridgov.web import fieldapp, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("grid/", views.grid_lookup, name="grid_lookup"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("areas/", views.areas, name="areas"),
    path("areas/<str:code>/", views.areas, name="area"),
    path("areas/<str:code>/children/", views.area_children, name="area_children"),
    # the field app (gridgov/web/fieldapp.py, docs/field-app.md)
    path("sw.js", fieldapp.service_worker, name="service_worker"),
    path("manifest.webmanifest", fieldapp.manifest, name="manifest"),
    path("icons/<int:size>.png", fieldapp.icon, name="fieldapp_icon"),
    path("offline/state.json", fieldapp.state, name="offline_state"),
    path("offline/messages.json", fieldapp.messages, name="offline_messages"),
    path("offline/queue/", fieldapp.queue, name="offline_queue"),
]
