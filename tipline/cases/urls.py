from __future__ import annotations

from django.urls import path

from tipline import url_converters  # noqa: F401 - registers row_id
from tipline.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("audit/", views.audit_trail, name="audit"),
    path("alerts/", views.alert_settings, name="alerts"),
    path("reports/<str:reference>/", views.detail, name="detail"),
    path("reports/<str:reference>/assign/", views.assign, name="assign"),
    path("reports/<str:reference>/exclude/", views.exclude, name="exclude"),
    path("reports/<str:reference>/exclusions/", views.exclusions, name="exclusions"),
    path(
        "reports/<str:reference>/exclusions/<row_id:request_id>/decide/",
        views.decide_exclusion,
        name="decide_exclusion",
    ),
    path("reports/<str:reference>/exclusions/restore/", views.restore_access, name="restore_access"),
    path("reports/<str:reference>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("reports/<str:reference>/progress/", views.start_progress, name="progress"),
    path("reports/<str:reference>/close/", views.close, name="close"),
    path("reports/<str:reference>/note/", views.note, name="note"),
    path("reports/<str:reference>/labels/", views.labels, name="labels"),
    path("reports/<str:reference>/held/retry/", views.retry_held, name="retry_held"),
    path("reports/<str:reference>/held/discard/", views.discard_held, name="discard_held"),
    path("reports/<str:reference>/original.eml", views.original, name="original"),
    path("reports/<str:reference>/link/", views.link, name="link"),
    path("reports/<str:reference>/hold/", views.legal_hold, name="hold"),
    path("reports/<str:reference>/identity/request/", views.request_identity, name="request_identity"),
    path("reports/<str:reference>/identity/<row_id:request_id>/decide/", views.decide_identity, name="decide_identity"),
    path("reports/<str:reference>/identity/", views.reveal_identity, name="reveal_identity"),
    path("reports/<str:reference>/export.pdf", views.export_pdf, name="export_pdf"),
    path("reports/<str:reference>/audit/", views.audit_trail, name="case_audit"),
    path("reports/<str:reference>/escrow/", views.escrow_read, name="escrow_read"),
    path("files/<row_id:attachment_id>/", views.download, name="download"),
]
