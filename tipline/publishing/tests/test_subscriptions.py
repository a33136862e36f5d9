"""E-mail subscriptions: double opt-in, per category, immediate or weekly, one-click unsubscribe.

Mail goes through the job runner to a real SMTP server on localhost.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tipline.conftest import csrf_token
from tipline.publishing import services
from tipline.publishing.exceptions import InvalidToken, TooManyRequests
from tipline.publishing.models import Frequency, Subscription, SubscriptionRequest
from tipline.publishing.services import subscriptions
from tipline.publishing.tests.conftest import Editors, category, publish, run_jobs
from tipline.testing import Mailbox, text_of

ADDRESS = "reader@example.net"


def _subscribe(client: Client, url: str = "/subscribe/", **fields: Any) -> Any:
    token = csrf_token(client, url)
    data = {"csrfmiddlewaretoken": token, "email": ADDRESS, "frequency": "immediate", **fields}
    return client.post(url, data)


def _link(text: str, kind: str) -> str:
    match = re.search(rf"https://tips\.example\.org((?:/[\w-]+)?/subscriptions/{kind}/[\w-]+/)", text)
    assert match, text
    return match.group(1)


def _confirm(client: Client, smtp: Mailbox, *, subscribe: bool = True) -> Subscription:
    if subscribe:
        _subscribe(client)
    run_jobs()
    (message,) = smtp.to(ADDRESS)
    link = _link(text_of(message), "confirm")
    page = client.get(link)
    assert page.status_code == 200
    assert "Yes, confirm my subscription" in page.content.decode()
    response = client.post(link, {"csrfmiddlewaretoken": str(page.context["csrf_token"])})
    assert response.status_code == 200
    assert "You are subscribed" in response.content.decode()
    return Subscription.objects.get(email=ADDRESS)


def test_subscribing_takes_a_confirmation_by_email(db: None, client: Client, smtp: Mailbox) -> None:
    response = _subscribe(client)
    assert response.status_code == 302
    assert response["Location"] == "/subscribe/sent/"
    assert Subscription.objects.count() == 0
    run_jobs()
    (message,) = smtp.to(ADDRESS)
    assert message["Subject"] == "Confirm your subscription"
    assert "/subscriptions/confirm/" in text_of(message)
    assert message.get_body(preferencelist=("html",)) is not None
    assert Subscription.objects.count() == 0, "nothing is sent before the owner confirms"


def test_following_the_link_only_shows_a_button(db: None, client: Client, smtp: Mailbox) -> None:
    _subscribe(client)
    run_jobs()
    link = _link(text_of(smtp.to(ADDRESS)[0]), "confirm")
    Client().get(link)  # a mail scanner following the link
    assert Subscription.objects.count() == 0


def test_the_confirmation_page_rejects_a_post_without_csrf(db: None, client: Client, smtp: Mailbox) -> None:
    _subscribe(client)
    run_jobs()
    link = _link(text_of(smtp.to(ADDRESS)[0]), "confirm")
    assert Client(enforce_csrf_checks=True).post(link).status_code == 403
    assert Subscription.objects.count() == 0


def test_a_confirmed_subscriber_gets_the_next_article(editors: Editors, client: Client, smtp: Mailbox) -> None:
    subscription = _confirm(client, smtp)
    assert subscription.frequency == Frequency.IMMEDIATE
    assert not SubscriptionRequest.objects.exists()
    publish(editors, title="The next article")
    run_jobs()
    message = smtp.to(ADDRESS)[-1]
    assert message["Subject"] == "The next article"
    assert "The next article" in text_of(message)
    unsubscribe = message["List-Unsubscribe"].strip()  # a long header may be folded
    assert re.fullmatch(r"<https://tips\.example\.org/subscriptions/unsubscribe/[\w-]+/>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/articles/the-next-article/" in text_of(message)


def test_one_click_unsubscribe_follows_rfc_8058(editors: Editors, client: Client, smtp: Mailbox) -> None:
    _confirm(client, smtp)
    publish(editors, title="Something new")
    run_jobs()
    url = smtp.to(ADDRESS)[-1]["List-Unsubscribe"].strip().strip("<>").removeprefix("https://tips.example.org")
    mail_client = Client(enforce_csrf_checks=True)  # a mail client: no page, no cookie, no token
    response = mail_client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert not Subscription.objects.filter(email=ADDRESS).exists(), "the address is deleted"
    assert (
        mail_client.post(
            url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 404
    )


def test_opening_the_unsubscribe_link_does_not_unsubscribe(editors: Editors, client: Client, smtp: Mailbox) -> None:
    subscription = _confirm(client, smtp)
    url = subscriptions.unsubscribe_url(subscription=subscription).removeprefix("https://tips.example.org")
    page = client.get(url)
    assert page.status_code == 200
    assert Subscription.objects.filter(email=ADDRESS).exists()
    assert client.post(url).status_code == 200
    assert not Subscription.objects.filter(email=ADDRESS).exists()


def test_only_chosen_categories_and_language_are_sent(editors: Editors, client: Client, smtp: Mailbox) -> None:
    _subscribe(client, categories=[category("typical-cases").pk])
    _confirm(client, smtp, subscribe=False)
    publish(editors, title="General news")
    publish(editors, title="中文案例", language="zh-hans", category=category("typical-cases"), case_fields={
        "what_happened": "a", "how_noticed": "b", "what_law_says": "c", "how_to_report": "d",
    })  # fmt: skip
    run_jobs()
    assert [m["Subject"] for m in smtp.to(ADDRESS)] == ["Confirm your subscription"]


def test_a_chinese_subscriber_gets_chinese_articles_in_chinese(editors: Editors, client: Client, smtp: Mailbox) -> None:
    _subscribe(client, url="/zh-hans/subscribe/")
    run_jobs()
    link = _link(text_of(smtp.to(ADDRESS)[0]), "confirm")
    assert link.startswith("/zh-hans/subscriptions/confirm/")
    page = client.get(link)
    client.post(link, {"csrfmiddlewaretoken": str(page.context["csrf_token"])})
    publish(editors, title="English only")
    publish(editors, title="中文文章", language="zh-hans")
    run_jobs()
    subjects = [m["Subject"] for m in smtp.to(ADDRESS)]
    assert "中文文章" in subjects
    assert "English only" not in subjects
    assert smtp.to(ADDRESS)[-1]["Content-Language"] == "zh-hans"


def test_an_article_is_never_mailed_twice(editors: Editors, client: Client, smtp: Mailbox) -> None:
    _confirm(client, smtp)
    article = publish(editors, title="Once only")
    run_jobs()
    services.archive_article(article=article, by=editors.author)
    services.restore_article(article=article, by=editors.author)
    services.submit_for_review(article=article, by=editors.author)
    services.publish_article(article=article, by=editors.reviewer)
    run_jobs()
    assert [m["Subject"] for m in smtp.to(ADDRESS)].count("Once only") == 1


def test_the_weekly_digest_collects_the_weeks_articles(
    editors: Editors, client: Client, smtp: Mailbox, settings: Any
) -> None:
    _subscribe(client, frequency="weekly")
    subscription = _confirm(client, smtp, subscribe=False)
    publish(editors, title="First of the week")
    publish(editors, title="Second of the week")
    run_jobs()
    assert len(smtp.to(ADDRESS)) == 1, "weekly subscribers get no immediate mail"
    now = timezone.now()
    settings.TIPLINE_DIGEST_WEEKDAY = timezone.localtime(now).weekday()
    assert subscriptions.queue_weekly_digests(now=now) == 1
    run_jobs()
    digest = smtp.to(ADDRESS)[-1]
    assert digest["Subject"] == "This week's articles"
    assert "First of the week" in text_of(digest)
    assert "Second of the week" in text_of(digest)
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    subscription.refresh_from_db()
    assert subscription.last_digest_at is not None
    # Next week, with nothing new, nothing is sent.
    assert subscriptions.send_digest(subscription_id=subscription.pk, message_key="k") is False


def test_the_digest_waits_for_its_weekday(db: None, settings: Any) -> None:
    now = timezone.now()
    settings.TIPLINE_DIGEST_WEEKDAY = (timezone.localtime(now).weekday() + 1) % 7
    assert subscriptions.queue_weekly_digests(now=now) == 0


def test_unconfirmed_addresses_are_deleted_after_the_limit(
    db: None, client: Client, smtp: Mailbox, settings: Any
) -> None:
    _subscribe(client)
    assert SubscriptionRequest.objects.count() == 1
    assert services.purge_unconfirmed() == 0
    later = timezone.now() + timedelta(hours=settings.TIPLINE_SUBSCRIPTION_CONFIRM_HOURS, minutes=1)
    assert services.purge_unconfirmed(now=later) == 1
    assert not SubscriptionRequest.objects.exists()


def test_an_expired_link_no_longer_confirms(db: None, client: Client, smtp: Mailbox, settings: Any) -> None:
    _subscribe(client)
    run_jobs()
    link = _link(text_of(smtp.to(ADDRESS)[0]), "confirm")
    SubscriptionRequest.objects.update(created_at=timezone.now() - timedelta(hours=49))
    response = client.get(link)
    assert response.status_code == 404
    assert "not valid or has expired" in response.content.decode()


@pytest.mark.parametrize("token", ["1-" + "0" * 40, "abc", "1-xyz", "99999999999999999999-" + "a" * 40, "-", "1" * 500])
def test_a_forged_token_is_refused(db: None, client: Client, smtp: Mailbox, token: str) -> None:
    _subscribe(client)
    assert client.get(f"/subscriptions/confirm/{token}/").status_code == 404
    assert client.post(f"/subscriptions/unsubscribe/{token}/").status_code == 404
    with pytest.raises(InvalidToken):
        services.confirm_subscription(token=token)


def test_the_form_reveals_nothing_about_existing_subscribers(editors: Editors, client: Client, smtp: Mailbox) -> None:
    _confirm(client, smtp)
    again = _subscribe(Client(enforce_csrf_checks=True))
    assert again.status_code == 302
    assert again["Location"] == "/subscribe/sent/"


def test_one_address_gets_one_confirmation_mail_per_ten_minutes(db: None, smtp: Mailbox) -> None:
    for _ in range(3):
        services.request_subscription(
            email=ADDRESS, language="en", frequency="immediate", categories=[], client_tag="t1"
        )
    run_jobs()
    assert len(smtp.to(ADDRESS)) == 1


def test_a_visitor_is_rate_limited(db: None, settings: Any) -> None:
    settings.TIPLINE_SUBSCRIBE_ATTEMPTS = 2
    settings.TIPLINE_SUBSCRIBE_OVERFLOW = 0
    for n in range(2):
        services.request_subscription(
            email=f"a{n}@example.net", language="en", frequency="weekly", categories=[], client_tag="same"
        )
    with pytest.raises(TooManyRequests):
        services.request_subscription(
            email="a9@example.net", language="en", frequency="weekly", categories=[], client_tag="same"
        )


@pytest.mark.parametrize("email", ["", "not-an-address", "a@", "@b.example", "a" * 300 + "@example.net", "x@y@z"])
def test_a_bad_address_is_refused_with_a_message(db: None, client: Client, email: str) -> None:
    response = _subscribe(client, email=email)
    assert response.status_code == 400
    assert "error" in response.content.decode()
    assert not SubscriptionRequest.objects.exists()


def test_only_the_address_and_the_choices_are_stored(db: None, client: Client) -> None:
    _subscribe(client, HTTP_USER_AGENT="Secret-Agent/1.0")
    request = SubscriptionRequest.objects.get()
    stored = " ".join(str(getattr(request, f.attname)) for f in SubscriptionRequest._meta.concrete_fields)
    assert "Secret-Agent" not in stored
    assert "127.0.0.1" not in stored


@pytest.mark.parametrize(
    "categories", ["1" * 25, "-" + "1" * 25, "9223372036854775808", "99999999999999999999999999999999999999999"]
)
def test_a_category_number_out_of_any_range_is_refused_with_a_message(
    db: None, client: Client, categories: str
) -> None:
    response = _subscribe(client, categories=[str(category().pk), categories])
    assert response.status_code == 400
    assert "Tick only categories from the list." in response.content.decode()
    assert not SubscriptionRequest.objects.exists()
