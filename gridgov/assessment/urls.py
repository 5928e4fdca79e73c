from django.urls import path

from gridgov.assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.home, name="home"),
    path("indicators/", views.indicators, name="indicators"),
    path("schemes/<int:scheme_id>/", views.scheme, name="scheme"),
    path("rounds/<int:round_id>/", views.round_page, name="round"),
    path("rounds/<int:round_id>/ranking.xlsx", views.export, name="export"),
    path("rounds/<int:round_id>/marks/", views.marks, name="marks"),
    path("rounds/<int:round_id>/members/<str:key>/", views.member, name="member"),
    path("rounds/<int:round_id>/members/<str:key>/items/<int:item_id>/", views.drill, name="drill"),
    path("exemptions/", views.exemptions, name="exemptions"),
]
