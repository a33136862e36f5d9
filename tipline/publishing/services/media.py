"""Images uploaded by editors, and the official profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import IO

from django.db import transaction

from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.publishing.caching import bump_public_version
from tipline.publishing.exceptions import InvalidMarkdown, MissingAltText
from tipline.publishing.images import process_image, store_variant
from tipline.publishing.models import Image, OfficialProfile, ProfileText
from tipline.publishing.rendering import render_markdown
from tipline.publishing.services.editorial import require_editor
from tipline.publishing.templatetags.publishing import forget_profile


def upload_image(*, upload: IO[bytes], alt_text: str, by: StaffUser) -> Image:
    """Clean, resize and keep an image. The same picture uploaded twice is kept once."""
    require_editor(user=by)
    alt_text = " ".join(alt_text.split())[:300]
    if not alt_text:
        raise MissingAltText
    processed = process_image(upload)
    existing = Image.objects.filter(digest=processed.digest).first()
    if existing is not None:
        return existing
    store_variant(processed.full)
    store_variant(processed.thumb)
    image, _ = Image.objects.get_or_create(
        digest=processed.digest,
        defaults={
            "alt_text": alt_text,
            "file_name": processed.full.name,
            "width": processed.full.width,
            "height": processed.full.height,
            "thumb_name": processed.thumb.name,
            "thumb_width": processed.thumb.width,
            "thumb_height": processed.thumb.height,
            "uploaded_by": by,
        },
    )
    return image


@dataclass
class ProfileWords:
    """The profile in one language."""

    name: str
    short_name: str
    introduction: str
    contact: str
    verified_by: str = ""


@transaction.atomic
def update_profile(
    *,
    by: StaffUser | None,
    verified_domain: str,
    verified_since: date | None,
    logo: Image | None,
    words: dict[str, ProfileWords],
) -> OfficialProfile:
    """Set the official profile; ``by`` None is the seeding command."""
    if by is not None:
        require_editor(user=by)
    profile, _ = OfficialProfile.objects.select_for_update().get_or_create(pk=1)
    profile.verified_domain = verified_domain.strip().lower()
    profile.verified_since = verified_since
    profile.logo = logo
    profile.save()
    for language, text in words.items():
        introduction = render_markdown(text.introduction)
        contact = render_markdown(text.contact)
        if problems := introduction.problems + contact.problems:
            raise InvalidMarkdown(problems)
        ProfileText.objects.update_or_create(
            profile=profile,
            language=language,
            defaults={
                "name": text.name.strip(),
                "short_name": text.short_name.strip(),
                "introduction": text.introduction,
                "introduction_html": introduction.html,
                "contact": text.contact,
                "contact_html": contact.html,
                "verified_by": text.verified_by.strip(),
            },
        )
    bump_public_version()
    transaction.on_commit(forget_profile)
    audit.record(action="publishing.profile_changed", actor=by, detail={})
    return profile
