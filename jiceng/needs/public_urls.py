from django.urls import URLPattern, path

from jiceng.needs import views_public

app_name = "needs_public"
urlpatterns: list[URLPattern] = [
    path("t/", views_public.track_form, name="track_form"),
    path("t/<str:code>/", views_public.track, name="track"),
    path("<str:code>/", views_public.board, name="board"),
    path("<str:code>/new/", views_public.need_new, name="new"),
]
