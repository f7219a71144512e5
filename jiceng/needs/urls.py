from importlib.util import find_spec

from django.urls import URLPattern, URLResolver, path

from jiceng.needs import views
from jiceng.orgs import views as org_views

app_name = "needs"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("queue/", views.queue, name="queue"),
    path("queue/areas/", org_views.area_filter, views.AREA, name="area_filter"),
    path("new/", views.need_new, name="new"),
    path("stats/", views.stats_page, name="stats"),
    path("claims/", views.claims, name="claims"),
    path("my/", views.my, name="my"),
    path("<int:pk>/", views.detail, name="detail"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/list/", views.list_need, name="list"),
    path("<int:pk>/dispatch/", views.dispatch, name="dispatch"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("claims/<int:pk>/start/", views.claim_start, name="claim_start"),
    path("claims/<int:pk>/fulfil/", views.claim_fulfil, name="claim_fulfil"),
]

# 双报到, points, feedback sheets and micro-projects (the other half of issue 4) add their pages in
# urls_service.py; they share this namespace.
if find_spec("jiceng.needs.urls_service") is not None:
    from jiceng.needs.urls_service import urlpatterns as service_urlpatterns

    urlpatterns += service_urlpatterns
