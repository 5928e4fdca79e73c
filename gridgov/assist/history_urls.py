from django.urls import path

from gridgov.assist import history_views as views

urlpatterns = [
    path("", views.history_list, name="history"),
    path("<int:job_id>/", views.history_job, name="history_job"),
    path("mapping/", views.history_mapping, name="history_mapping"),
]
