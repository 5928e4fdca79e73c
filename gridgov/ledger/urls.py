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

# Spreadsheets: templates, imports, exports (gridgov/ledger/import_views.py)
from gridgov.ledger import import_views  # noqa: E402

urlpatterns += [
    path("imports/", import_views.import_list, name="imports"),
    path("imports/<int:job_id>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:job_id>/errors.xlsx", import_views.import_errors, name="import_errors"),
    path("imports/<int:job_id>/rejected.xlsx", import_views.import_rejected, name="import_rejected"),
    path("imports/templates/<str:kind>.xlsx", import_views.import_template, name="import_template"),
    path("export/<str:kind>/", import_views.export, name="export"),
]
