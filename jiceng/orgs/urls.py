from django.urls import path

from jiceng.orgs import views, views_import

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/children/", views.org_children, name="children"),
    path("<int:pk>/export/members.xlsx", views_import.export_members, name="export_members"),
    path("people/", views.people, name="people"),
    path("people/export.xlsx", views_import.export_people, name="export_people"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/reveal/<str:field>/", views.person_reveal, name="person_reveal"),
    path("members/", views.members, name="members"),
    path("members/export.xlsx", views_import.export_members, name="export_all_members"),
    path("posts/export.xlsx", views_import.export_posts, name="export_posts"),
    path("import/", views_import.import_upload, name="import"),
    path("import/<str:token>/", views_import.import_preview, name="import_preview"),
    path("import/<str:token>/confirm/", views_import.import_confirm, name="import_confirm"),
]
