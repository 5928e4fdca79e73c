from django.urls import path

from gridgov.points import views

app_name = "points"

urlpatterns = [
    path("", views.task_list, name="tasks"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/signup/", views.task_signup, name="task_signup"),
    path("tasks/<int:pk>/withdraw/", views.task_withdraw, name="task_withdraw"),
    path("tasks/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("tasks/<int:pk>/<str:action>/", views.task_act, name="task_act"),
    path("me/", views.me, name="me"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/<int:pk>/redeem/", views.redeem_self, name="redeem"),
    path("station/", views.station, name="station"),
    path("community/", views.community, name="community"),
]
