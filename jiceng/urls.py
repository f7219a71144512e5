from django.contrib.auth import views as auth_views
from django.urls import include, path

from jiceng.accounts import views_admin as accounts_admin
from jiceng.web import views as web

urlpatterns = [
    path("", web.home, name="home"),
    path("healthz", web.healthz, name="healthz"),
    path("switch-grant/", web.switch_grant, name="switch_grant"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", accounts_admin.password_change, name="password_change"),
    path("password/done/", accounts_admin.password_change_done, name="password_change_done"),
    path("orgs/", include("jiceng.orgs.urls")),
    path("decisions/", include("jiceng.decisions.urls")),
    path("grid/", include("jiceng.grid.urls")),
    path("needs/", include("jiceng.needs.urls")),
    path("dashboard/", include("jiceng.dashboard.urls")),
    path("portal-admin/", include("jiceng.portal.staff_urls")),
    # Public pages of the apps come before the portal's /p/<code>/ catch-all.
    path("p/needs/", include("jiceng.needs.public_urls")),
    path("p/cases/", include("jiceng.grid.public_urls")),
    path("p/", include("jiceng.portal.urls")),
    path("audit/", include("jiceng.audit.urls")),
    path("accounts/", include("jiceng.accounts.urls")),
    path("api/v1/", include("jiceng.api.urls")),
]
