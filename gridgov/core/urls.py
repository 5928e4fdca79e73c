from django.urls import path

from gridgov.core import views

app_name = "core"

urlpatterns = [
    path("<int:pk>/", views.file, name="file"),
    path("<int:pk>/thumb/", views.file_thumb, name="file_thumb"),
]
