from django.urls import path

from gridgov.accounts import views

app_name = "accounts"

urlpatterns = [
    path("signin/", views.resident_signin, name="resident_signin"),
    path("household/", views.household_bind, name="household_bind"),
    path("bindings/", views.bindings, name="bindings"),
    path("bindings/<int:pk>/<str:action>/", views.binding_act, name="binding_act"),
]
