# ruff: noqa: N999 - the command is called as "tipline export-site"
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tipline.publishing.export import ExportError, export_site


class Command(BaseCommand):
    help = (
        "Write the public channel (pages in every language, feeds, images, sitemap, robots.txt) "
        "as static files in DIR, for any web server or CDN. Report, search and subscription "
        "links point to the live instance."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR", type=Path)
        parser.add_argument("--base-url", help="where the copy will be served (default: TIPLINE_SITE_URL)")
        parser.add_argument("--live-url", help="the live instance for report links (default: TIPLINE_SITE_URL)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = export_site(
                directory=options["directory"], base_url=options["base_url"], live_url=options["live_url"]
            )
        except ExportError as error:
            raise CommandError(str(error)) from None
        for link, page in result.broken:
            self.stderr.write(f"broken link {link} on {page}")
        self.stdout.write(f"Exported {len(result.pages)} pages and {len(result.files)} files to {result.directory}.")
        if result.broken:
            msg = f"{len(result.broken)} broken links"
            raise CommandError(msg)
