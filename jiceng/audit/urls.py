from django.urls import path

from jiceng.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("verify/", views.verify_view, name="verify"),
]
