from django.urls import path

from jiceng.api.api import api

urlpatterns = [path("", api.urls)]
