"""Every internal link and anchor of the built manual resolves.

mdBook rewrites a page's `other.md#anchor` links to `other.html#anchor` and gives each heading
an id; this reads the built HTML and checks that each relative link names a file of the book
and, where it has a fragment, an id in that file. External links (a scheme, or `//`) are not
followed: the test bed reaches no network. Exit status 1 with one line per broken link.

Usage: python scripts/check_book.py target/book
"""

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# mdBook's own pages and assets, which link to what only a served book has.
SKIP = {"404.html", "toc.html"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img" and a.get("src"):
            self.links.append(a["src"])


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def main(book: Path) -> int:
    pages = {p: parse(p) for p in book.rglob("*.html") if p.name not in SKIP}
    if len(pages) < 10:
        print(f"{book}: only {len(pages)} pages; run mdbook build first")
        return 1
    broken, checked = [], 0
    for path, page in sorted(pages.items()):
        for href in page.links:
            url = urlsplit(href)
            if url.scheme or href.startswith("//"):
                continue
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            checked += 1
            where = f"{path.relative_to(book)}: {href}"
            if not target.exists():
                broken.append(f"{where}: no such file in the book")
            elif url.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(url.fragment) not in ids:
                    broken.append(f"{where}: no anchor #{url.fragment} there")
    for line in broken:
        print(line)
    print(f"check_book: {checked} internal links in {len(pages)} pages, {len(broken)} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "target/book")))
