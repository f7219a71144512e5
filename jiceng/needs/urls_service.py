"""Pages of 双报到, points, feedback sheets and 民生微实事, in the needs namespace (included by urls.py)."""

from django.urls import URLPattern, path

from jiceng.needs import views_service as v

urlpatterns: list[URLPattern] = [
    path("reports/", v.report_list, name="report_list"),
    path("reports/new/", v.report_new, name="report_new"),
    path("reports/<int:pk>/", v.report_detail, name="report_detail"),
    path("reports/units/", v.unit_reports, name="unit_reports"),
    path("reports/stats/", v.report_stats, name="report_stats"),
    path("me/report/", v.my_report, name="my_report"),
    path("me/points/", v.my_points, name="my_points"),
    path("points/", v.points_ranking, name="points_ranking"),
    path("feedback/", v.feedback_sheet, name="feedback"),
    path("feedback/<int:pk>.xlsx", v.feedback_xlsx, name="feedback_xlsx"),
    path("projects/", v.project_list, name="project_list"),
    path("projects/new/", v.project_new, name="project_new"),
    path("projects/<int:pk>/", v.project_detail, name="project_detail"),
    path("projects/<int:pk>/<str:action>/", v.project_action, name="project_action"),
]
