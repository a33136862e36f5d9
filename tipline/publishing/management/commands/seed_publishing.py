from __future__ import annotations

import io
import secrets
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.accounts.models import Role, StaffUser
from tipline.publishing import services
from tipline.publishing.caching import bump_public_version
from tipline.publishing.demo import articles_en, articles_zh, pictures, profile
from tipline.publishing.models import Article, Category, Image, OfficialProfile

EDITORS = {"editor": "Demo editor", "reviewer": "Demo reviewer"}


def _password() -> str:
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


class Command(BaseCommand):
    help = (
        "Seed the official channel's demo: two editors, the profile and articles in every category, "
        "in English and Chinese. Adds only what is missing; safe to run at every start."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        passwords: dict[str, str] = {}
        with transaction.atomic():
            editors = {name: self._editor(name, passwords) for name in EDITORS}
            images = self._images(editors["editor"])
            if not OfficialProfile.objects.exists():
                self._profile(images["logo"])
            created = self._articles(editors["editor"], editors["reviewer"], images)
            bump_public_version()
        self.stdout.write(f"Official channel: {created} demo articles added.")
        if passwords:
            self.stdout.write(
                self.style.SUCCESS("Editor log-in at /staff/login/ — these passwords are shown only now:")
            )
            for username, password in passwords.items():
                self.stdout.write(f"  {username:<11} {password}")

    def _editor(self, username: str, passwords: dict[str, str]) -> StaffUser:
        existing = StaffUser.objects.filter(username=username).first()
        if existing is not None:
            return existing
        passwords[username] = _password()
        return accounts.create_staff(
            username=username,
            password=passwords[username],
            roles=[Role.EDITOR],
            display_name=EDITORS[username],
            validate=False,
        )

    def _images(self, editor: StaffUser) -> dict[str, Image]:
        return {
            key: services.upload_image(upload=io.BytesIO(data), alt_text=alt, by=editor)
            for key, (data, alt) in pictures.PICTURES.items()
        }

    def _profile(self, logo: Image) -> None:
        services.update_profile(
            by=None,
            verified_domain=profile.VERIFIED_DOMAIN,
            verified_since=profile.VERIFIED_SINCE,
            logo=logo,
            words={code: services.ProfileWords(**words) for code, words in profile.WORDS.items()},
        )

    def _articles(self, editor: StaffUser, reviewer: StaffUser, images: dict[str, Image]) -> int:
        created = 0
        by_key: dict[str, Article] = {}
        now = timezone.now()
        for language, batch in (("en", articles_en.ARTICLES), ("zh-hans", articles_zh.ARTICLES)):
            for item in batch:
                slug = str(item["key"])
                existing = Article.objects.filter(slug=slug).first()
                if existing is not None:
                    by_key[slug] = existing
                    continue
                body = str(item["body"])
                for key, image in images.items():
                    body = body.replace(f"(image:{key})", f"(image:{image.pk})")
                content = services.ArticleContent(
                    title=str(item["title"]),
                    summary=str(item["summary"]),
                    body=body,
                    language=language,
                    category=Category.objects.get(slug=item["category"]),
                    tags=list(item.get("tags", [])),
                    case_fields=dict(item.get("case", {})),
                    cover=images.get(str(item.get("cover", ""))),
                    cover_alt=str(item.get("cover_alt", "")),
                    featured=bool(item.get("featured", False)),
                    slug=slug,
                    translation_of=by_key.get(str(item.get("translation_of", ""))),
                )
                article = services.create_article(author=editor, content=content)
                services.submit_for_review(article=article, by=editor)
                services.publish_article(article=article, by=reviewer)
                # Spread the demo over past months, so the archive has something to show.
                Article.objects.filter(pk=article.pk).update(
                    published_at=now - timedelta(days=int(item["days_ago"]), hours=created)
                )
                by_key[slug] = article
                created += 1
        return created
