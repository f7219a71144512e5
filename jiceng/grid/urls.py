from django.urls import path

from jiceng.grid import views
from jiceng.orgs import views as org_views

app_name = "grid"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.grid_create, name="create"),
    path("<int:pk>/", views.grid_detail, name="detail"),
    path("<int:pk>/edit/", views.grid_edit, name="edit"),
    path("<int:pk>/members/new/", views.member_add, name="member_add"),
    path("<int:pk>/forces/new/", views.force_add, name="force_add"),
    path("members/<int:pk>/end/", views.member_end, name="member_end"),
    path("map/", views.map_page, name="map"),
    path("map/grids.geojson", views.map_geojson, name="map_geojson"),
    path("mine/", views.mine, name="mine"),
    path("cases/", views.case_list, name="cases"),
    path("cases/areas/", org_views.area_filter, views.AREA, name="area_filter"),
    path("cases/new/", views.case_report, name="case_report"),
    path("cases/check/", views.case_check, name="case_check"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/moves/<str:action>/", views.case_move, name="case_move"),
    path("cases/<int:pk>/phone/", views.case_phone, name="case_phone"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("stats/", views.stats_page, name="stats"),
]

# ---- sweeps (大排查) and temporary mobilization: jiceng/grid/views_sweeps.py ----
from jiceng.grid import views_sweeps  # noqa: E402

urlpatterns += [
    path("sweeps/", views_sweeps.sweep_list, name="sweeps"),
    path("sweeps/new/", views_sweeps.sweep_create, name="sweep_create"),
    path("sweeps/<int:pk>/", views_sweeps.sweep_detail, name="sweep_detail"),
    path("sweeps/<int:pk>/export/", views_sweeps.sweep_export, name="sweep_export"),
    path("sweeps/<int:pk>/grids/<int:grid_pk>/", views_sweeps.sweep_grid, name="sweep_grid"),
    path("sweeps/<int:pk>/households/<int:household_pk>/", views_sweeps.sweep_visit, name="sweep_visit"),
    path("sweeps/visits/<int:pk>/case/", views_sweeps.sweep_visit_case, name="sweep_visit_case"),
    path("sweeps/villages/<int:pk>/households/", views_sweeps.households, name="sweep_households"),
    path("sweeps/villages/<int:pk>/households/import/", views_sweeps.households_import, name="sweep_households_import"),
    path("sweeps/households-template.xlsx", views_sweeps.households_template, name="sweep_households_template"),
    path("mobilizations/", views_sweeps.mobilization_list, name="mobilizations"),
    path("mobilizations/new/", views_sweeps.mobilization_create, name="mobilization_create"),
    path("mobilizations/<int:pk>/", views_sweeps.mobilization_detail, name="mobilization_detail"),
    path("grids/<int:pk>/mobilized/", views_sweeps.grid_mobilized, name="grid_mobilized"),
]
