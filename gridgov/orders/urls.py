from django.urls import path

from gridgov.orders import views

app_name = "orders"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("services/", views.catalogue, name="catalogue"),
    path("services/<int:pk>/", views.item_page, name="item"),
    path("mine/", views.mine, name="mine"),
    path("inbox/", views.inbox, name="inbox"),
    path("stats/", views.stats, name="stats"),
    path("<str:ref>/", views.detail, name="detail"),
    path("<str:ref>/<str:action>/", views.act, name="act"),
]
