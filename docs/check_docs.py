"""Check the built HTML documentation for what a reader should never meet.

Run it after the Sphinx build, on the build's output::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python docs/check_docs.py docs/_build/html

It reads every page and fails (exit status 1), printing the file, the line
and the text around each problem, on:

- **a table header cell with no text**: a reST simple table whose first
  header cell is blank renders with an empty header row, and the names of
  its columns are lost;
- **internal shorthand in the prose**: words that mean something only to
  the people who wrote skann (issue numbers, names of internal benchmarks
  and plans; see ``SHORTHAND``).  Code, literal blocks and maths are not
  prose and are not searched;
- **a broken internal link**: a link or image to a file that is not in the
  build, or to an ``#anchor`` that its page does not define;
- **a link that looks like it points to itself**: its text is the title of
  the page it is on, but it leads to another page (a ``:ref:`` to a section
  of another page that has the same title as this one).

It needs nothing beyond the Python standard library.
"""

import argparse
import os
import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: ``(pattern, what it is)``: words that mean something only inside the
#: project.  A user reads "the benchmark W1" or "issue #12" as noise.
SHORTHAND = [
    (re.compile(r"\bissues?\s*#?\s*\d+", re.I), "an issue number"),
    (re.compile(r"(?<![\w&/#])#\d+\b"), "a '#number' reference"),
    (re.compile(r"\bcontract sweeps?\b", re.I), "internal name of a test campaign"),
    (re.compile(r"\bproof targets?\b", re.I), "internal planning word"),
    (re.compile(r"\bW\d\b"), "internal name of a benchmark"),
    (re.compile(r"\bthe issue\b", re.I), "refers to an internal issue"),
    (re.compile(r"\bthe (lead|brief|team)\b", re.I), "internal planning word"),
    (re.compile(r"\bSTYLE\.md\b"), "internal file"),
]

#: Elements whose text is not prose: code, literal blocks, maths, scripts.
NOT_PROSE_TAGS = {"pre", "code", "kbd", "samp", "tt", "script", "style", "math"}
NOT_PROSE_CLASSES = {"math", "highlight", "pre"}
#: Elements that stay inside a line of prose; any other tag ends a block.
INLINE_TAGS = {
    "a", "abbr", "b", "cite", "code", "em", "i", "kbd", "mark", "q", "s", "samp",
    "small", "span", "strong", "sub", "sup", "tt", "u", "var", "wbr",
}
VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
    "source", "track", "wbr",
}
#: Folders of the build that hold no pages of the documentation.
NOT_PAGES = {"_static", "_sources", "_images", "_downloads"}


@dataclass
class Problem:
    path: Path
    line: int
    what: str
    context: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.what}: {self.context}"


class _Page(HTMLParser):
    """One pass over a page: its anchors, links, table headers and prose."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []  # (line, url)
        self.link_texts = []  # (line, url, text) of each <a href>
        self.title = None  # the text of the first <h1>
        self.empty_headers = []  # (line, columns without text, the row's texts)
        self.prose = []  # (line, text of one block of prose)
        self._stack = []  # (tag, not prose)
        self._block, self._block_line = [], None
        self._row, self._cell = None, None
        self._anchor, self._h1 = None, None  # (line, url, texts), texts

    # -- the stack of open elements --------------------------------------------
    def _not_prose(self):
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(name):
                self.ids.add(attrs[name])
        url = {"a": "href", "img": "src"}.get(tag)
        if url and attrs.get(url) is not None:
            self.links.append((self.getpos()[0], attrs[url]))
            if tag == "a":
                self._anchor = (self.getpos()[0], attrs[url], [])
        if tag == "h1" and self.title is None:
            self._h1 = []
        if tag not in INLINE_TAGS:
            self._flush()
        if tag == "tr":
            self._row = []
        elif tag == "th" and self._row is not None:
            self._cell = (self.getpos()[0], [])
        if tag in VOID_TAGS:
            if tag == "br":
                self._text(" ")
            return
        classes = set((attrs.get("class") or "").split())
        not_prose = tag in NOT_PROSE_TAGS or bool(classes & NOT_PROSE_CLASSES)
        self._stack.append((tag, self._not_prose() or not_prose))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and self._stack and self._stack[-1][0] == tag:
            self._stack.pop()

    def handle_endtag(self, tag):
        if tag == "a" and self._anchor is not None:
            line, url, texts = self._anchor
            self.link_texts.append((line, url, _words(texts)))
            self._anchor = None
        elif tag == "h1" and self._h1 is not None:
            self.title, self._h1 = _words(self._h1).rstrip("#¶ "), None
        if tag not in INLINE_TAGS:
            self._flush()
        if tag == "th" and self._cell is not None:
            line, texts = self._cell
            self._row.append((line, _words(texts)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            empty = [str(i) for i, (_, text) in enumerate(self._row, 1) if not text]
            if empty:
                line, texts = self._row[0][0], [text for _, text in self._row]
                self.empty_headers.append((line, empty, texts))
            self._row = None
        for depth in range(len(self._stack) - 1, -1, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                break

    # -- text ------------------------------------------------------------------
    def handle_data(self, data):
        for texts in (self._anchor and self._anchor[2], self._h1):
            if texts is not None:
                texts.append(data)
        if self._cell is not None:
            self._cell[1].append(data)
        if self._not_prose():
            self._text(" ")  # code stands between words: do not join them
        else:
            self._text(data)

    def _text(self, data):
        if self._block_line is None and data.strip():
            self._block_line = self.getpos()[0]
        self._block.append(data)

    def _flush(self):
        text = _words(self._block)
        if text:
            self.prose.append((self._block_line, text))
        self._block, self._block_line = [], None

    def close(self):
        super().close()
        self._flush()


def _words(texts):
    """The pieces of text ``texts`` as one line, spaces collapsed."""
    return " ".join("".join(texts).split())


def _parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    page.close()
    return page


def _excerpt(text, start, end, width=50):
    left, right = max(0, start - width), min(len(text), end + width)
    return (
        ("..." if left else "")
        + text[left:start]
        + "[[" + text[start:end] + "]]"
        + text[end:right]
        + ("..." if right < len(text) else "")
    )


def _shorthand(text):
    """``(what, excerpt)`` for each piece of shorthand in ``text``; a match
    inside one already found (``#10`` in ``issue #10``) is not repeated."""
    found, spans = [], []
    for pattern, what in SHORTHAND:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < right and left < end for left, right in spans):
                continue
            spans.append((start, end))
            found.append((what, _excerpt(text, start, end)))
    return found


def _is_page(path, root):
    return path.suffix == ".html" and not NOT_PAGES & set(path.relative_to(root).parts)


def check(root):
    """The problems found in the HTML build under ``root``: a list of
    `Problem`, file by file."""
    root = Path(root)
    if not (root / "index.html").is_file():
        raise FileNotFoundError(f"no index.html under {root}: build the docs first")
    pages = {path: _parse(path) for path in sorted(root.rglob("*.html"))}
    problems = []
    for path, page in pages.items():
        for line, url in page.links:
            problem = _broken(url, path, pages)
            if problem:
                problems.append(Problem(path, line, problem, url))
        if _is_page(path, root):
            problems += _read_as_a_page(path, page)
    return problems


def _read_as_a_page(path, page):
    """The problems of a page of the documentation (not of the theme's files):
    empty table headers, shorthand, links that look like links to itself."""
    problems = []
    for line, empty, texts in page.empty_headers:
        what = f"table header with empty cells (column {', '.join(empty)})"
        row = " | ".join(texts)
        problems.append(Problem(path, line, what, f"header row: | {row} |"))
    for line, text in page.prose:
        problems += [
            Problem(path, line, f"shorthand, {what}", excerpt)
            for what, excerpt in _shorthand(text)
        ]
    for line, url, text in page.link_texts:
        own_title = page.title and text.lower() == page.title.lower()
        if own_title and _target(url, path) not in (None, path):
            what = "link named after this page's own title leads elsewhere"
            problems.append(Problem(path, line, what, f"{text!r} -> {url}"))
    return problems


def _target(url, path):
    """The file that the link ``url`` on page ``path`` leads to (None for
    another site)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("//"):
        return None
    target = path if not parts.path else path.parent / unquote(parts.path)
    if parts.path.endswith("/"):
        target = target / "index.html"
    return Path(os.path.normpath(target))


def _broken(url, path, pages):
    """Why the link ``url`` on page ``path`` is broken, or None."""
    target = _target(url, path)
    if target is None:
        return None  # another site: not ours to check
    if not target.exists():
        return "broken link: no such file in the build"
    anchor = unquote(urlsplit(url).fragment)
    if not anchor or target.suffix != ".html":
        return None
    page = pages.get(target) or _parse(target)  # (a page outside the build)
    if anchor not in page.ids:
        return f"broken link: no anchor #{anchor} on {target.name}"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "build", nargs="?", default="docs/_build/html", help="the HTML build's folder"
    )
    args = parser.parse_args(argv)
    problems = check(args.build)
    for problem in problems:
        print(problem)
    pages = sum(1 for path in Path(args.build).rglob("*.html"))
    if problems:
        print(f"check_docs: {len(problems)} problems in the {pages} HTML files")
        return 1
    print(f"check_docs: no problems in the {pages} HTML files of {args.build}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
