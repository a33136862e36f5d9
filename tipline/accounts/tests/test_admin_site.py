from __future__ import annotations

import pytest
from django.test import Client

from tipline.accounts.testing import login_staff
from tipline.accounts.tests.conftest import password_step
from tipline.conftest import PASSWORD, Setup

pytestmark = pytest.mark.urls("tipline.accounts.tests.admin_urls")


def test_the_staff_admin_site_sends_visitors_to_the_staff_log_in(org: Setup, client: Client) -> None:
    response = client.get("/staff-admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/staff/login/?next=")
    assert response.status_code == 200


def test_the_staff_admin_site_needs_the_second_step(org: Setup, client: Client) -> None:
    password_step(client, "admin")
    response = client.get("/staff-admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff-admin/login/")  # which sends on to /staff/login/
    login_staff(client, "admin", PASSWORD)
    assert client.get("/staff-admin/").status_code == 200


def test_non_admin_staff_cannot_use_the_staff_admin_site(org: Setup, client: Client) -> None:
    login_staff(client, "handler", PASSWORD)
    assert client.get("/staff-admin/").status_code == 302
