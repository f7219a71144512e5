"""An allow-list HTML cleaner for news bodies, on the standard library's parser.

Anything not listed is dropped: unknown tags lose their markup but keep their text, except
script/style whose content goes too; attributes other than a[href] (http/https) and img[src]
(our own article images) are dropped, so no on* handlers and no javascript: links survive.
"""

import re
from html import escape
from html.parser import HTMLParser

ALLOWED = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "a", "blockquote", "img"})
VOID = frozenset({"br", "img"})
DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"})
LINK = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)
# Only images served by the portal itself (article covers), never an outside tracker.
OWN_IMAGE = re.compile(r"^/p/img/\d+/$")


class _Cleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_CONTENT:
            self.skipping += 1
            return
        if self.skipping or tag not in ALLOWED:
            return
        values = {name: (value or "").strip() for name, value in attrs}
        extra = ""
        if tag == "a":
            href = values.get("href", "")
            extra = f' href="{escape(href)}" rel="nofollow noopener"' if LINK.match(href) else ""
        elif tag == "img":
            src = values.get("src", "")
            if not OWN_IMAGE.match(src):
                return
            extra = f' src="{escape(src)}" alt="{escape(values.get("alt", ""))}"'
        self.out.append(f"<{tag}{extra}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in DROP_CONTENT:
            self.handle_starttag(tag, attrs)
            if tag not in VOID and self.open and self.open[-1] == tag:
                self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in self.open:
            return
        while self.open:  # close anything left open inside it, so the output stays well nested
            inner = self.open.pop()
            self.out.append(f"</{inner}>")
            if inner == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))


def clean(html: str) -> str:
    cleaner = _Cleaner()
    cleaner.feed(html or "")
    cleaner.close()
    cleaner.out.extend(f"</{tag}>" for tag in reversed(cleaner.open))
    return "".join(cleaner.out).strip()
