from django.urls import path

from gridgov.dashboards import report_views, views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("hotspots/<int:pk>/", views.hotspot, name="hotspot"),
    path("hotspots/<int:pk>/project/", views.hotspot_project, name="hotspot_project"),
    path("hotspots/<int:pk>/topic/", views.hotspot_topic, name="hotspot_topic"),
    path("reports/<int:pk>/", report_views.report, name="report"),
    path("reports/<int:pk>/report.xlsx", report_views.report_xlsx, name="report_xlsx"),
    path("reports/<int:pk>/report.pdf", report_views.report_pdf, name="report_pdf"),
    path("<str:code>/", views.area, name="area"),
    path("<str:code>/tiles/", views.tiles, name="tiles"),
    path("<str:code>/cases/<str:figure>/", views.cases, name="cases"),
    path("<str:code>/map/", views.map_page, name="map"),
    path("<str:code>/screen/", views.screen, name="screen"),
    path("<str:code>/hotspots/", views.hotspots, name="hotspots"),
    path("<str:code>/reports/", report_views.reports, name="reports"),
]
