from django.urls import path

from gridgov.web import views

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
]
