from django.urls import path

from jiceng.orgs import views, views_edit, views_import

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
    path("export.xlsx", views_import.export_orgs, name="export_orgs"),
    path("import/", views_import.import_upload, name="import"),
    path("import/jobs/<int:pk>/", views_import.import_job, name="import_job"),
    path("import/<str:token>/", views_import.import_preview, name="import_preview"),
    path("import/<str:token>/confirm/", views_import.import_confirm, name="import_confirm"),
    # staff editing (views_edit)
    path("<int:pk>/edit/", views_edit.org_edit, name="org_edit"),
    path("<int:pk>/children/new/", views_edit.org_create, name="org_create"),
    path("<int:pk>/people/new/", views_edit.person_create, name="person_create"),
    path("<int:pk>/posts/new/", views_edit.post_create, name="post_create"),
    path("<int:pk>/reserves/new/", views_edit.reserve_add, name="reserve_add"),
    path("<int:pk>/grand-committee/new/", views_edit.grand_unit_add, name="grand_unit_add"),
    path("<int:pk>/pairings/new/", views_edit.pairing_add, name="pairing_add"),
    path("people/<int:pk>/edit/", views_edit.person_edit, name="person_edit"),
    path("people/<int:pk>/member/", views_edit.member_edit, name="member_edit"),
    path("posts/<int:pk>/end/", views_edit.post_end, name="post_end"),
    path("reserves/<int:pk>/remove/", views_edit.reserve_remove, name="reserve_remove"),
    path("grand-committee/<int:pk>/remove/", views_edit.grand_unit_remove, name="grand_unit_remove"),
    path("pairings/<int:pk>/end/", views_edit.pairing_end, name="pairing_end"),
]
