from django.urls import path

from gridgov.party import views

app_name = "party"

urlpatterns = [
    path("party/", views.tree, name="tree"),
    path("party/orgs/<int:org_id>/", views.org, name="org"),
    path("party/members/", views.members, name="members"),
    path("party/members/<int:member_id>/", views.member, name="member"),
    path("party/coverage/", views.coverage, name="coverage"),
    path("party/coverage/<str:grid>/", views.grid_contacts, name="grid_contacts"),
    path("party/cards/", views.card_list, name="cards"),
    path("party/cards/print/", views.card_sheet, name="card_sheet"),
    path("party/me/", views.me, name="me"),
    path("party/reports/", views.reports, name="reports"),
    path("party/agreements/", views.agreements, name="agreements"),
    path("party/agreements/<int:agreement_id>/", views.agreement, name="agreement"),
    path("party/properties/", views.properties, name="properties"),
    path("party/activities/", views.activities, name="activities"),
    path("card/<str:token>/", views.card, name="card"),
    path("card/<str:token>/qr.svg", views.card_qr, name="card_qr"),
    path("card/<str:token>/photos/<int:pk>/", views.card_photo, name="card_photo"),
]
