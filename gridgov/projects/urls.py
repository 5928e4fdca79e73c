from django.urls import path

from gridgov.projects import views

app_name = "projects"

urlpatterns = [
    path("needs/", views.needs, name="needs"),
    path("needs/new/", views.need_new, name="need_new"),
    path("needs/<int:pk>/", views.need, name="need"),
    path("needs/<int:pk>/close/", views.need_close, name="need_close"),
    path("needs/<int:pk>/project/", views.need_project, name="need_project"),
    path("resources/", views.resources, name="resources"),
    path("resources/new/", views.resource_new, name="resource_new"),
    path("resources/<int:pk>/", views.resource_edit, name="resource_edit"),
    path("projects/", views.projects, name="projects"),
    path("projects/<int:pk>/", views.project, name="project"),
    path("projects/<int:pk>/<slug:action>/", views.project_act, name="project_act"),
    path("compliance/", views.compliance, name="compliance"),
]
