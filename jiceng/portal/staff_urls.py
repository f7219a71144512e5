from django.urls import path

from jiceng.portal import views_staff as v

app_name = "portal_staff"
urlpatterns = [
    path("", v.index, name="index"),
    path("articles/new/", v.article_edit, name="article_new"),
    path("articles/<int:pk>/", v.article_edit, name="article_edit"),
    path("articles/<int:pk>/status/", v.article_status, name="article_status"),
    path("comments/", v.comments, name="comments"),
    path("comments/<int:pk>/moderate/", v.comment_moderate, name="comment_moderate"),
    path("comments/<int:pk>/reply/", v.comment_reply, name="comment_reply"),
    path("disclosures/", v.disclosures, name="disclosures"),
    path("disclosures/rhythm/", v.disclosure_rhythm, name="rhythm"),
    path("consultations/", v.consultations, name="consultations"),
    path("consultations/<int:pk>/answer/", v.consultation_answer, name="consultation_answer"),
]
