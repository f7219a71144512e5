from django.urls import path

from jiceng.decisions import views, views_notices, views_stats
from jiceng.orgs import views as org_views

app_name = "decisions"
urlpatterns = [
    path("", views.decision_list, name="list"),
    path("areas/", org_views.area_filter, views.AREA, name="area_filter"),
    path("stats/", views_stats.stats, name="stats"),
    path("new/", views.decision_create, name="create"),
    path("<int:pk>/", views.decision_detail, name="detail"),
    path("<int:pk>/steps/<str:step>/", views.meeting_form, name="meeting"),
    path("<int:pk>/steps/<str:step>/check/", views.meeting_check, name="meeting_check"),
    path("<int:pk>/moves/<str:action>/", views.decision_move, name="move"),
    path("<int:pk>/notices/<str:kind>/new/", views.notice_publish, name="notice_publish"),
    path("<int:pk>/progress/new/", views.progress_add, name="progress_add"),
    path("<int:pk>/objections/new/", views.objection_raise, name="objection_raise"),
    path("<int:pk>/town-review/", views.town_review, name="town_review"),
    path("<int:pk>/town-file/", views.town_file, name="town_file"),
    path("objections/<int:pk>/answer/", views.objection_answer, name="objection_answer"),
    path("meetings/<int:pk>/override/", views.meeting_override, name="meeting_override"),
    path("meetings/<int:pk>/files/", views.meeting_files, name="meeting_files"),
    path("meeting-files/<int:pk>/", views.meeting_file, name="meeting_file"),
    path("progress/<int:pk>/photo/", views.progress_photo, name="progress_photo"),
    path("villages/<int:pk>/catalogue/", views.catalogue_page, name="catalogue"),
    path("villages/<int:pk>/catalogue/draft/", views.catalogue_draft, name="catalogue_draft"),
    path("catalogues/<int:pk>/categories/new/", views.category_add, name="category_add"),
    path("catalogues/<int:pk>/approve/", views.catalogue_approve, name="catalogue_approve"),
    path("catalogues/<int:pk>/file/", views.catalogue_file, name="catalogue_file"),
    path("categories/<int:pk>/remove/", views.category_remove, name="category_remove"),
    path("notices/<int:pk>.pdf", views_notices.notice_pdf, name="notice_pdf"),
]
