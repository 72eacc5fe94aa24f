"""The docs check (docs/check_docs.py) on small hand-written builds: it passes a
clean one and finds every problem planted in a copy of it."""

import importlib.util
from pathlib import Path

import pytest

CHECKER = Path(__file__).resolve().parents[1] / "docs" / "check_docs.py"
if not CHECKER.is_file():  # the tests run from a copy without docs/ (the wheel)
    pytest.skip("docs/check_docs.py is not beside these tests", allow_module_level=True)
spec = importlib.util.spec_from_file_location("check_docs", CHECKER)
check_docs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_docs)

PAGE = """<!DOCTYPE html>
<html><head><title>{title}</title></head>
<body><main id="main-content">
<section id="top"><h1>{title}<a class="headerlink" href="#top">#</a></h1>
{body}
</section></main></body></html>
"""

CLEAN_INDEX = """
<p>See <a href="guide.html#tuning">the tuning guide</a>, <a href="#top">the top</a>,
<a href="sub/">a folder</a>, <a href="https://example.org/x.html#nowhere">a site</a>
and <a href="mailto:someone@example.org">a person</a>.</p>
<img src="_images/figure.png" alt="a figure">
<table><thead><tr><th><p>Model</p></th><th><p>mean acc</p></th></tr></thead>
<tbody><tr><td><p>skann</p></td><td><p>0.790</p></td></tr></tbody></table>
<p>The weights <code class="docutils literal"><span class="pre">W1</span></code>,
the maths <span class="math">\\(W_1 = \\#1\\)</span>, and code:</p>
<div class="highlight"><pre>issue #12, W1, the contract sweep  # not prose</pre></div>
<p>Colour <span style="color: #123456">text</span> and an entity &#35; stay quiet.</p>
"""


def write_build(root, index_body=CLEAN_INDEX, extra=None):
    pages = {
        "index.html": PAGE.format(title="skann", body=index_body),
        "guide.html": PAGE.format(
            title="Guide", body='<section id="tuning"><p>Tune.</p></section>'
        ),
        "sub/index.html": PAGE.format(title="Sub", body='<a href="../">up</a>'),
        "_images/figure.png": "",
        # The theme's own files are not pages: not searched for prose.
        "_static/theme.html": PAGE.format(title="x", body="<p>issue #1</p>"),
        **(extra or {}),
    }
    for name, text in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_a_clean_build_passes(tmp_path, capsys):
    build = write_build(tmp_path / "html")
    assert check_docs.check(build) == []
    assert check_docs.main([str(build)]) == 0
    assert "no problems" in capsys.readouterr().out


@pytest.mark.parametrize(
    "first_header",
    ["", "  ", "<p></p>", "<p> </p>"],
    ids=["empty", "blank", "empty-paragraph", "blank-paragraph"],
)
def test_a_table_header_cell_without_text_fails(tmp_path, first_header):
    table = (
        f"<table><thead><tr><th>{first_header}</th><th><p>mean acc</p></th></tr>"
        "</thead><tbody><tr><td>skann</td><td>0.79</td></tr></tbody></table>"
    )
    build = write_build(tmp_path / "html", CLEAN_INDEX + table)
    (problem,) = check_docs.check(build)
    assert problem.path.name == "index.html"
    assert "table header with empty cells (column 1)" in problem.what
    assert "mean acc" in problem.context


@pytest.mark.parametrize(
    "prose, found",
    [
        ("as measured in issue #10, the step", "issue #10"),
        ("see Issue 12 for the numbers", "Issue 12"),
        ("since #42 the defaults", "#42"),
        ("The contract sweep raised it", "contract sweep"),
        ("Proof targets", "Proof targets"),
        ("on the W1 shape", "W1"),
        ("neither reaches the issue's 85 %", "the issue"),
    ],
)
def test_shorthand_in_prose_fails(tmp_path, prose, found):
    body = CLEAN_INDEX + f"<p>Some text, {prose}, more text.</p>"
    build = write_build(tmp_path / "html", body)
    (problem,) = check_docs.check(build)
    assert problem.what.startswith("shorthand")
    assert f"[[{found}]]" in problem.context
    lines = (build / "index.html").read_text().splitlines()
    assert problem.line == 1 + next(i for i, s in enumerate(lines) if "Some text" in s)


@pytest.mark.parametrize(
    "link, why",
    [
        ('<a href="missing.html">a page</a>', "no such file"),
        ('<a href="guide.html#nowhere">an anchor</a>', "no anchor #nowhere"),
        ('<a href="#nowhere">an anchor here</a>', "no anchor #nowhere"),
        ('<a href="sub/missing/">a folder</a>', "no such file"),
        ('<img src="_images/missing.png" alt="x">', "no such file"),
    ],
)
def test_a_broken_internal_link_fails(tmp_path, link, why, capsys):
    build = write_build(tmp_path / "html", CLEAN_INDEX + f"<p>{link}</p>")
    (problem,) = check_docs.check(build)
    assert why in problem.what
    assert check_docs.main([str(build)]) == 1
    out = capsys.readouterr().out
    assert f"{build / 'index.html'}:{problem.line}: broken link" in out
    assert "1 problems" in out


@pytest.mark.parametrize(
    "link, found",
    [
        ('<a href="guide.html#tuning">skann</a>', True),
        ('<a href="guide.html#tuning"><span>SKANN</span></a>', True),
        ('<a href="#top">skann</a>', False),
        ('<a href="index.html#top">skann</a>', False),
        ('<a href="https://example.org/">skann</a>', False),
        ('<a href="guide.html#tuning">the skann guide</a>', False),
    ],
)
def test_a_link_named_after_its_own_page_that_leads_elsewhere_fails(
    tmp_path, link, found
):
    # index.html's title is "skann": a link of that name that leads to another
    # page reads as a link to the page itself.
    build = write_build(tmp_path / "html", CLEAN_INDEX + f"<p>See {link}.</p>")
    problems = check_docs.check(build)
    assert len(problems) == found
    if found:
        assert "own title leads elsewhere" in problems[0].what


def test_every_problem_of_a_page_is_reported(tmp_path):
    bad = PAGE.format(
        title="Bad",
        body=(
            "<table><thead><tr><th></th><th>b</th></tr></thead></table>"
            "<p>issue #3</p>\n<p>the W2 run</p>\n<a href='nowhere.html'>x</a>"
        ),
    )
    build = write_build(tmp_path / "html", extra={"bad.html": bad})
    problems = check_docs.check(build)
    assert [p.path.name for p in problems] == ["bad.html"] * 4
    assert sorted(p.what.split(",")[0].split(":")[0] for p in problems) == [
        "broken link",
        "shorthand",
        "shorthand",
        "table header with empty cells (column 1)",
    ]


def test_no_build_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="build the docs first"):
        check_docs.check(tmp_path)
