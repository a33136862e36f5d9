from __future__ import annotations

from django.urls import path

from tipline.publishing.views import editor, editor_media, editor_revisions

app_name = "publishing_editor"
urlpatterns = [
    path("", editor.dashboard, name="dashboard"),
    path("articles/new/", editor.new_article, name="new"),
    path("articles/<int:pk>/", editor.article_detail, name="article"),
    path("articles/<int:pk>/edit/", editor.edit_article, name="edit"),
    path("articles/<int:pk>/submit/", editor.submit, name="submit"),
    path("articles/<int:pk>/review/", editor.review, name="review"),
    path("articles/<int:pk>/archive/", editor.archive, name="archive"),
    path("articles/<int:pk>/restore/", editor.restore, name="restore"),
    path("articles/<int:pk>/revisions/", editor.revisions, name="revisions"),
    path("articles/<int:pk>/revise/", editor_revisions.start, name="revise"),
    path("revision-drafts/<int:pk>/", editor_revisions.draft_page, name="revision_draft"),
    path("revision-drafts/<int:pk>/act/", editor_revisions.act, name="revision_draft_act"),
    path("images/", editor_media.images, name="images"),
    path("profile/", editor_media.profile, name="profile"),
]
