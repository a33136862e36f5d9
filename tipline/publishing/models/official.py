"""The official profile and the version stamp of everything public."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicState(models.Model):
    """One row: bumped whenever anything a reader can see changes.

    Every cached page, ETag and feed is keyed by ``version``, so publishing
    invalidates them all at once, in every process, with no cache to purge.
    """

    version = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="single_public_state")]

    def __str__(self) -> str:
        return f"public version {self.version}"


class OfficialProfile(models.Model):
    """Who speaks on this channel, and how a reader can tell it is really them (one row)."""

    logo = models.ForeignKey(
        "publishing.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("logo")
    )
    verified_domain = models.CharField(
        _("verified domain"),
        max_length=253,
        blank=True,
        help_text=_("The domain whose ownership was checked, e.g. integrity.example.gov."),
    )
    verified_since = models.DateField(_("verified since"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="single_official_profile")]
        verbose_name = _("official profile")
        verbose_name_plural = _("official profiles")

    def __str__(self) -> str:
        return self.verified_domain or "official profile"

    def text_for(self, language: str) -> ProfileText | None:
        """The profile in ``language``, or in the default language when it is missing."""
        texts = {text.language: text for text in self.texts.all()}
        return texts.get(language) or texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()), None)


class ProfileText(models.Model):
    """The profile's words in one language."""

    profile = models.ForeignKey(OfficialProfile, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60)
    introduction = models.TextField(_("introduction"), help_text=_("Markdown."))
    introduction_html = models.TextField(editable=False, default="")
    contact = models.TextField(_("contact"), help_text=_("Markdown: postal address, office hours, press desk."))
    contact_html = models.TextField(editable=False, default="")
    verified_by = models.CharField(
        _("verified by"), max_length=200, blank=True, help_text=_("Who checked that this channel is official.")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "language"], name="unique_profile_language")]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"
