from django.urls import path

from jiceng.accounts import views, views_admin

app_name = "accounts"
urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    # Account administration (三权分立): system, security and audit administrators.
    path("users/", views_admin.account_list, name="admin_list"),
    path("users/new/", views_admin.account_create, name="admin_create"),
    path("users/<int:pk>/", views_admin.account_detail, name="admin_detail"),
    path("users/<int:pk>/deactivate/", views_admin.account_deactivate, name="admin_deactivate"),
    path("users/<int:pk>/reactivate/", views_admin.account_reactivate, name="admin_reactivate"),
    path("users/<int:pk>/password/", views_admin.account_password_reset, name="admin_password_reset"),
    path("users/<int:pk>/unlock/", views_admin.account_unlock, name="admin_unlock"),
    path("users/<int:pk>/grants/", views_admin.grant_add, name="admin_grant_add"),
    path("users/<int:pk>/grants/<int:grant_pk>/revoke/", views_admin.grant_revoke, name="admin_grant_revoke"),
]
