"""``python -m bench [NAME ...] [OPTIONS]``: run the named benchmarks, or all of them.

Options after the names are handed to each benchmark's ``main``; ``--list``
shows what is available.
"""

from __future__ import annotations

import importlib
import sys

# name -> (module, one-line description); later benchmarks are added here.
BENCHMARKS: dict[str, tuple[str, str]] = {
    "intake": ("bench.intake", "web submissions, receipt log-in, Argon2id limit, file stages"),
    "console": ("bench.console", "queue page over 100,000 reports, SQLite and PostgreSQL, p50/p95"),
    "public": ("bench.public", "article page and Atom feed req/s at concurrency 32 against nginx on the export"),
    "mailbox": ("bench.mailbox", "1,000 mails with a 200 KB JPEG taken in from Dovecot by the worker, vs the limit"),
}


def main(argv: list[str]) -> int:
    if argv and argv[0] in {"-h", "--help", "--list"}:
        print(__doc__.strip())
        for name, (_, description) in BENCHMARKS.items():
            print(f"  {name:<10} {description}")
        return 0
    names: list[str] = []
    while argv and not argv[0].startswith("-"):
        name = argv.pop(0)
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
            return 2
        names.append(name)
    status = 0
    for name in names or list(BENCHMARKS):
        module = importlib.import_module(BENCHMARKS[name][0])
        status = max(status, int(module.main(list(argv))))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
