from django.urls import path

from gridgov.hooks import views

app_name = "hooks"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_new, name="new"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/edit/", views.subscription_edit, name="edit"),
    path("<int:pk>/rotate/", views.subscription_rotate, name="rotate"),
    path("<int:pk>/disable/", views.subscription_disable, name="disable"),
    path("<int:pk>/enable/", views.subscription_enable, name="enable"),
    path("<int:pk>/delete/", views.subscription_delete, name="delete"),
    path("<int:pk>/deliveries/<int:delivery>/replay/", views.delivery_replay, name="replay"),
]
