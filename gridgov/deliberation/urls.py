from django.urls import path

from gridgov.deliberation import views

app_name = "deliberation"

urlpatterns = [
    path("", views.topics, name="topics"),
    path("topics/<str:ref>/", views.topic, name="topic"),
    path("showcase/", views.showcase, name="showcase"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/<str:ref>/", views.meeting, name="meeting"),
    path("meetings/<str:ref>/record.xlsx", views.meeting_export, name="meeting_export"),
    path("meetings/<str:ref>/sheet/", views.meeting_sheet, name="meeting_sheet"),
]
