from django.urls import path

from gridgov.visits import views

app_name = "visits"

urlpatterns = [
    path("", views.visit_list, name="list"),
    path("worklist/", views.worklist, name="worklist"),
    path("new/", views.record, name="record"),
    path("coverage/", views.coverage, name="coverage"),
    path("household/<int:household_id>/", views.household_visits, name="household"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/case/", views.to_case, name="to_case"),
    path("<int:pk>/case/link/", views.link_case, name="link_case"),
    path("<int:pk>/need/", views.to_need, name="to_need"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
