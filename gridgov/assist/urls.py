from django.urls import include, path

from gridgov.assist import history_urls, suggest_urls

app_name = "assist"

urlpatterns = [
    path("history/", include(history_urls.urlpatterns)),
    path("", include(suggest_urls.urlpatterns)),
]
