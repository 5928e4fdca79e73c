from django.urls import path

from gridgov.assist import suggest_views as views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("models/<int:version>/", views.model_detail, name="model"),
    path("models/train/", views.train, name="train"),
    path("thresholds/", views.thresholds, name="thresholds"),
    path("cases/<str:ref>/category/", views.decide, name="decide"),
]
