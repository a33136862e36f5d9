"""Write the whole public channel as static files that any web server or CDN can serve.

The exporter walks the site the way a visitor would: it renders the home pages,
feeds, sitemap and robots.txt through the real views, follows every local link
and image, and writes each answer to the file a static server would look for
(``/articles/x/`` → ``articles/x/index.html``). Links to what cannot be static
(the report form, the portal, search, subscriptions) point to the live instance.
A local link that does not resolve is reported, so a broken link cannot slip
into the copy unnoticed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from django.utils import translation

from tipline.publishing import languages, pages
from tipline.publishing.images import media_dir
from tipline.publishing.models import Category
from tipline.publishing.pages import ExportOptions
from tipline.publishing.templatetags.publishing import public_url
from tipline.typed_request import typed

MARKER = ".tipline-export"
MEDIA_URL = "/media/publishing/"


class ExportError(Exception):
    """The export could not be written (the folder is not ours to replace, a page failed)."""


@dataclass
class ExportResult:
    directory: Path
    pages: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)  # (link, page it was on)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"href", "src"} and value:
                self.found.append(value)


def _local(link: str) -> str | None:
    """The path of a link to this site, or None for another site, a fragment or mail."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return unquote(parts.path)


def _target(root: Path, path: str) -> Path:
    relative = path.lstrip("/")
    target = (root / relative / "index.html") if path.endswith("/") else root / relative
    resolved = target.resolve()
    if root.resolve() not in resolved.parents:
        msg = f"refusing to write outside the export folder: {path}"
        raise ExportError(msg)
    return target


def _seeds() -> list[str]:
    paths = ["/robots.txt", "/sitemap.xml"]
    for code in languages.public_languages():
        paths.append(public_url("publishing:home", language=code))
        for name in ("feed_atom", "feed_rss", "feed_json"):
            paths.append(public_url(f"publishing:{name}", language=code))
            for category in Category.objects.all():
                paths.append(public_url(f"publishing:category_{name}", language=code, slug=category.slug))
    return paths


class _Exporter:
    def __init__(self, root: Path, options: ExportOptions) -> None:
        self.root = root
        self.options = options
        self.factory = RequestFactory()
        host = urlsplit(options.base_url).hostname or "localhost"
        self.host = host if host in settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS else "localhost"
        self.result = ExportResult(directory=root)

    def _request(self, path: str) -> HttpRequest:
        request = self.factory.get(path, HTTP_HOST=self.host)
        typed(request).publishing_export = self.options
        typed(request).client_tag = "export"
        return request

    def _render(self, path: str) -> tuple[int, bytes, str]:
        try:
            match = resolve(path)
        except Resolver404:
            return 404, b"", ""
        if match.namespace != "publishing" and match.url_name != "home":
            return 404, b"", ""  # only the public channel is exported
        try:
            response = match.func(self._request(path), *match.args, **match.kwargs)
        except Http404:
            return 404, b"", ""
        content_type = response.get("Content-Type", "")
        return response.status_code, bytes(getattr(response, "content", b"")), content_type

    def _copy(self, path: str, source: Path | None) -> bool:
        if source is None or not source.is_file():
            return False
        target = _target(self.root, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        self.result.files.append(path)
        return True

    def _asset(self, path: str) -> bool:
        if path.startswith(settings.STATIC_URL):
            name = path[len(settings.STATIC_URL) :]
            collected = Path(staticfiles_storage.path(name)) if staticfiles_storage.exists(name) else None
            found = finders.find(name)
            return self._copy(path, collected or (Path(found) if isinstance(found, str) else None))
        if path.startswith(MEDIA_URL):
            name = path[len(MEDIA_URL) :]
            return "/" not in name and self._copy(path, media_dir() / name)
        return False

    def _page(self, path: str, queue: deque[tuple[str, str]]) -> bool:
        status, body, content_type = self._render(path)
        if status != 200:
            return False
        target = _target(self.root, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        self.result.pages.append(path)
        if content_type.startswith("text/html"):
            parser = _Links()
            parser.feed(body.decode())
            for link in parser.found:
                if (local := _local(link)) is not None:
                    queue.append((local, path))
        return True

    def run(self) -> ExportResult:
        queue: deque[tuple[str, str]] = deque((path, "(start)") for path in _seeds())
        seen: set[str] = set()
        while queue:
            path, found_on = queue.popleft()
            if path in seen:
                continue
            seen.add(path)
            is_asset = path.startswith((settings.STATIC_URL, MEDIA_URL))
            done = self._asset(path) if is_asset else self._page(path, queue)
            if not done:
                self.result.broken.append((path, found_on))
        request = self._request("/404.html")
        context = pages.page_context(request, language=languages.default_language(), alternates={})
        (self.root / "404.html").write_text(render_to_string("publishing/not_found.html", context, request))
        (self.root / MARKER).write_text("A static export of Tipline's public channel; replaced by each export.\n")
        return self.result


def _replace(directory: Path, built: Path) -> None:
    if directory.exists():
        if any(directory.iterdir()) and not (directory / MARKER).exists():
            shutil.rmtree(built)
            msg = f"{directory} is not empty and is not an earlier export; choose another folder"
            raise ExportError(msg)
        old = directory.with_name(f".{directory.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        directory.rename(old)
        built.rename(directory)
        shutil.rmtree(old, ignore_errors=True)
    else:
        built.rename(directory)


def export_site(*, directory: Path, base_url: str | None = None, live_url: str | None = None) -> ExportResult:
    """Write the public channel into ``directory`` (replacing an earlier export there).

    ``base_url`` is where the copy will be served (canonical links, feeds, sitemap);
    ``live_url`` the live instance that report, search and subscription links go to.
    Both default to ``TIPLINE_SITE_URL``.
    """
    live = (live_url or settings.TIPLINE_SITE_URL).rstrip("/")
    options = ExportOptions(base_url=(base_url or live).rstrip("/"), live_url=live)
    directory = directory.resolve()
    directory.parent.mkdir(parents=True, exist_ok=True)
    built = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        with translation.override(languages.default_language()):
            result = _Exporter(built, options).run()
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    built.chmod(0o755)
    _replace(directory, built)
    result.directory = directory
    return result
