from django.urls import path

from jiceng.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("v/", views.verify_form, name="verify_form"),
    path("v/<str:code>/", views.verify, name="verify"),
    # After v/: organization codes are digits and letters, never "v".
    path("<str:code>/", views.village, name="village"),
]
