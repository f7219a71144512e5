from django.urls import path

from jiceng.grid import views

app_name = "grid_public"
urlpatterns = [
    path("", views.public_report, name="report"),
    path("grids.geojson", views.public_geojson, name="geojson"),
    path("check/", views.public_check, name="check"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:code>/", views.track, name="track"),
    path("track/<str:code>/<str:action>/", views.track_move, name="track_move"),
]
