from __future__ import annotations

from django.urls import path

from tipline import url_converters  # noqa: F401 - registers row_id
from tipline.rewards import portal_views, public_views, staff_views

app_name = "rewards"
urlpatterns = [
    # The console.
    path("console/rewards/", staff_views.overview, name="overview"),
    path("console/rewards/payouts.csv", staff_views.payouts, name="payouts"),
    path("console/rewards/cash/", staff_views.cash_desk, name="cash_desk"),
    path("console/rewards/reports/<str:reference>/", staff_views.case_rewards, name="case"),
    path("console/rewards/reports/<str:reference>/propose/", staff_views.propose, name="propose"),
    path("console/rewards/reports/<str:reference>/commend/", staff_views.commend, name="commend"),
    path("console/rewards/<row_id:reward_id>/", staff_views.detail, name="detail"),
    path("console/rewards/<row_id:reward_id>/approve/", staff_views.approve, name="approve"),
    path("console/rewards/<row_id:reward_id>/refuse/", staff_views.refuse, name="refuse"),
    path("console/rewards/<row_id:reward_id>/bank/", staff_views.bank_details, name="bank_details"),
    path("console/rewards/<row_id:reward_id>/pay/", staff_views.pay, name="pay"),
    # The reporter's portal.
    path("portal/rewards/", portal_views.overview, name="portal"),
    path("portal/rewards/<row_id:reward_id>/claim/", portal_views.claim, name="claim"),
    path("portal/commendation/", portal_views.commendation, name="commendation"),
    path("portal/commendation/certificate.pdf", portal_views.certificate, name="certificate"),
    path("portal/proof-of-reporting.txt", portal_views.proof, name="proof"),
    path("portal/retaliation/", portal_views.retaliation, name="retaliation"),
    # Public.
    path("commendations/verify/", public_views.verify, name="verify"),
    path("commendations/honour/", public_views.honour, name="honour"),
    path("proof/verify/", public_views.verify_proof, name="verify_proof"),
    path("proof/key.txt", public_views.public_key, name="public_key"),
]
