"""The organisation's name at the top of every page is in the page's language."""

from __future__ import annotations

from django.test import Client

from tipline.accounts import services as accounts
from tipline.accounts.models import Organisation
from tipline.publishing.models import OfficialProfile, ProfileText

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}


def _profile(**names: str) -> OfficialProfile:
    profile = OfficialProfile.objects.create(pk=1)
    for language, name in names.items():
        ProfileText.objects.create(
            profile=profile, language=language, name=name, short_name=name[:4], introduction="I", contact="C"
        )
    return profile


def _brand(page: str) -> str:
    return page.split('class="site-name"', 1)[1].split("</a>", 1)[0]


def test_staff_pages_name_the_organisation_in_their_language(db: None, client: Client) -> None:
    accounts.create_organisation(name="Integrity Office")
    _profile(en="Integrity Office of the City", **{"zh-hans": "城市廉政办公室"})
    assert "Integrity Office of the City" in _brand(client.get("/staff/login/").content.decode())
    assert "城市廉政办公室" in _brand(client.get("/staff/login/", **ZH).content.decode())


def test_a_language_the_profile_lacks_shows_the_default_one_and_without_a_profile_the_account_s(
    db: None, client: Client
) -> None:
    accounts.create_organisation(name="Integrity Office")
    assert "Integrity Office" in _brand(client.get("/staff/login/", **ZH).content.decode())
    _profile(en="Integrity Office of the City")  # the signal forgets the name remembered a moment ago
    assert "Integrity Office of the City" in _brand(client.get("/staff/login/", **ZH).content.decode())


def test_a_renamed_profile_or_organisation_shows_at_once_in_this_process(db: None, client: Client) -> None:
    accounts.create_organisation(name="Integrity Office")
    profile = _profile(**{"zh-hans": "城市廉政办公室"})
    assert "城市廉政办公室" in _brand(client.get("/staff/login/", **ZH).content.decode())
    text = profile.texts.get()
    text.name = "市廉政公署"
    text.save()
    assert "市廉政公署" in _brand(client.get("/staff/login/", **ZH).content.decode())
    text.delete()
    organisation = Organisation.objects.get(pk=1)
    organisation.name = "Renamed Office"
    organisation.save()
    assert "Renamed Office" in _brand(client.get("/staff/login/", **ZH).content.decode())
