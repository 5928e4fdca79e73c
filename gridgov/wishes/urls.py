from django.urls import path

from gridgov.wishes import views

app_name = "wishes"

urlpatterns = [
    path("", views.wall, name="wall"),
    path("new/", views.new, name="new"),
    path("box/", views.box, name="box"),
    path("mine/", views.mine, name="mine"),
    path("claims/", views.claims, name="claims"),
    path("vetting/", views.vetting, name="vetting"),
    path("flagged/", views.flagged, name="flagged"),
    path("manage/", views.manage, name="manage"),
    path("<str:ref>/", views.detail, name="detail"),
    path("<str:ref>/<str:action>/", views.act, name="act"),
]
