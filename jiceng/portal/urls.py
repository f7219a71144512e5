from django.urls import path

from jiceng.portal import views, views_public

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("v/", views.verify_form, name="verify_form"),
    path("v/<str:code>/", views.verify, name="verify"),
    path("news/<str:code>/", views_public.news_list, name="news_list"),
    path("article/<int:pk>/", views_public.article, name="article"),
    path("img/<int:pk>/", views_public.image, name="image"),
    path("disclosures/<str:code>/", views_public.disclosures, name="disclosures"),
    path("ask/<str:code>/", views_public.consult, name="consult"),
    # After v/: organization codes are digits and letters, never "v".
    path("<str:code>/", views.village, name="village"),
]
