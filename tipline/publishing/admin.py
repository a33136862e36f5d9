"""Administration of the official channel. Articles and the profile are written in the
editors' pages (``/editor/``), where review and revisions apply; here they are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from tipline.publishing.caching import bump_public_version
from tipline.publishing.models import (
    Article,
    ArticleRevision,
    Category,
    CategoryText,
    Image,
    OfficialProfile,
    Subscription,
    SubscriptionRequest,
    Tag,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CategoryTextInline(admin.TabularInline[CategoryText, Category]):
    model = CategoryText
    extra = 1


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["slug", "order", "is_case_category"]
    inlines = [CategoryTextInline]

    def save_related(self, request: HttpRequest, form: ModelForm[Category], formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        bump_public_version()

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        super().delete_model(request, obj)
        bump_public_version()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        super().delete_queryset(request, queryset)
        bump_public_version()


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ["name", "slug"]
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: Tag, form: ModelForm[Tag], change: bool) -> None:
        super().save_model(request, obj, form, change)
        bump_public_version()


class RevisionInline(admin.TabularInline[ArticleRevision, Article]):
    model = ArticleRevision
    fields = ("number", "editor", "created_at", "note")
    readonly_fields = ("number", "editor", "created_at", "note")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class KeptAdmin(ReadOnlyAdmin):
    """Articles are archived, not deleted; images stay while any text may point at them."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(KeptAdmin):
    list_display = ["title", "language", "category", "state", "author", "publisher", "published_at"]
    list_filter = ["state", "language", "category"]
    search_fields = ["title", "slug"]
    inlines = [RevisionInline]


@admin.register(Image)
class ImageAdmin(KeptAdmin):
    list_display = ["pk", "alt_text", "width", "height", "uploaded_by", "created_at"]


@admin.register(OfficialProfile)
class OfficialProfileAdmin(KeptAdmin):
    list_display = ["verified_domain", "verified_since", "updated_at"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """Personal data: view and delete only (for example on request of the subscriber)."""

    list_display = ["email", "language", "frequency", "confirmed_at"]
    search_fields = ["email"]


@admin.register(SubscriptionRequest)
class SubscriptionRequestAdmin(ReadOnlyAdmin):
    list_display = ["email", "language", "frequency", "created_at"]
    search_fields = ["email"]
