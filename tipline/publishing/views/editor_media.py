"""The editors' image library and the official profile form."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tipline.publishing import services
from tipline.publishing.exceptions import PublishingError
from tipline.publishing.forms import ImageForm, ProfileForm
from tipline.publishing.models import Image, OfficialProfile
from tipline.publishing.rendering import removed_markup
from tipline.publishing.views.editor import _user, editor_required


@require_http_methods(["GET", "POST"])
@editor_required
def images(request: HttpRequest) -> HttpResponse:
    form = ImageForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                image = services.upload_image(
                    upload=form.cleaned_data["image"], alt_text=form.cleaned_data["alt_text"], by=_user(request)
                )
            except PublishingError as error:
                form.add_error("image", error.user_message())
                status = error.status
            else:
                flash.success(request, _("Image %(number)s is ready: %(markdown)s") % {
                    "number": image.pk, "markdown": image.markdown,
                })  # fmt: skip
                return redirect("publishing_editor:images")
        else:
            status = 400
    page = Paginator(Image.objects.all(), 24).get_page(request.GET.get("page"))
    return render(request, "publishing/editor/images.html", {"form": form, "page": page}, status=status)


def _profile_initial(profile: OfficialProfile | None) -> dict[str, Any]:
    if profile is None:
        return {}
    initial: dict[str, Any] = {
        "verified_domain": profile.verified_domain,
        "verified_since": profile.verified_since,
        "logo": profile.logo,
    }
    for text in profile.texts.all():
        suffix = text.language.replace("-", "_")
        for field in ("name", "short_name", "verified_by", "introduction", "contact"):
            initial[f"{field}_{suffix}"] = getattr(text, field)
    return initial


@require_http_methods(["GET", "POST"])
@editor_required
def profile(request: HttpRequest) -> HttpResponse:
    stored = OfficialProfile.objects.prefetch_related("texts").filter(pk=1).first()
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=_profile_initial(stored))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        words = {
            code: services.ProfileWords(
                name=data[f"name_{code.replace('-', '_')}"],
                short_name=data[f"short_name_{code.replace('-', '_')}"],
                introduction=data[f"introduction_{code.replace('-', '_')}"],
                contact=data[f"contact_{code.replace('-', '_')}"],
                verified_by=data[f"verified_by_{code.replace('-', '_')}"],
            )
            for code, _name in settings.LANGUAGES
        }
        try:
            services.update_profile(
                by=_user(request),
                verified_domain=data["verified_domain"],
                verified_since=data["verified_since"],
                logo=data["logo"],
                words=words,
            )
        except PublishingError as error:
            form.add_error(None, error.user_message())
        else:
            flash.success(request, _("Profile saved."))
            return redirect("publishing_editor:profile")
    status = 400 if form.errors else 200
    texts = stored.texts.all() if stored is not None else []
    removed = removed_markup(*(words for text in texts for words in (text.introduction, text.contact)))
    return render(request, "publishing/editor/profile.html", {"form": form, "removed": removed}, status=status)
