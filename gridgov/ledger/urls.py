from django.urls import path

from gridgov.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.ledger_list, name="list"),
    path("households/<int:household_id>/", views.household_detail, name="household"),
    path("households/<int:household_id>/members/", views.household_add_member, name="add_member"),
    path("residents/<int:resident_id>/", views.resident_detail, name="resident"),
    path("residents/<int:resident_id>/move-out/", views.resident_move_out, name="move_out"),
    path("tags/", views.tag_add, name="tag_add"),
    path("tags/<int:assignment_id>/remove/", views.tag_remove, name="tag_remove"),
    path("reveal/", views.reveal, name="reveal"),
]
