"""Staff land on their own work after log-in, and the account pages link back to it: a
call-taker, a reward officer or an editor is never sent to the report queue they cannot open."""

from __future__ import annotations

import pytest
from django.test import Client

from tipline.accounts import services as accounts
from tipline.accounts.landing import landing
from tipline.accounts.models import Role
from tipline.accounts.testing import login_staff
from tipline.conftest import PASSWORD, Setup


@pytest.mark.parametrize(
    ("roles", "home"),
    [
        ([Role.HANDLER], "/console/"),
        ([Role.SUPERVISOR, Role.REWARD_OFFICER], "/console/"),
        ([Role.CALL_TAKER], "/calls/"),
        ([Role.REWARD_OFFICER], "/console/rewards/"),
        ([Role.EDITOR], "/editor/"),
    ],
)
def test_staff_land_on_their_own_work(org: Setup, roles: list[str], home: str) -> None:
    user = accounts.create_staff(username="kim", password=PASSWORD, roles=roles)
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "kim", PASSWORD)
    page = client.get("/staff/account/")
    assert page.status_code == 200
    assert f'<a href="{home}">{landing(user).label}</a>' in page.content.decode()


def test_a_call_taker_refused_the_console_is_led_back_to_the_calls(org: Setup) -> None:
    accounts.create_staff(username="desk", password=PASSWORD, roles=[Role.CALL_TAKER])
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "desk", PASSWORD)
    refused = client.get("/console/")
    assert refused.status_code == 403
    html = refused.content.decode()
    assert 'href="/calls/"' in html
    assert 'href="/console/"' not in html.split("<main", 1)[-1].split("</main>", 1)[0]
