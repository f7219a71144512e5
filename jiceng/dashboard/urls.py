from django.urls import path

from jiceng.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.index, name="index"),
    path("org/<int:pk>/", views.org_dashboard, name="org"),
    path("org/<int:pk>/export/<slug:key>.xlsx", views.export, name="export"),
    path("org/<int:pk>/refresh/", views.refresh, name="refresh"),
    path("org/<int:pk>/report.pdf", views.annual_report, name="report"),
    path("screen/", views.screen, name="screen"),
    path("screen/data.json", views.screen_data, name="screen_data"),
]
