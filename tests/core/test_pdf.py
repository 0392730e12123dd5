"""The report's PDF: rendered from HTML with no way out to the network. Only data: URLs and the project's static
files are fetched; web addresses, other files and paths that climb out of the static directory are refused, the
document is still rendered, and the refused URLs do not reach the log."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from weasyprint.images import SVGImage

from utvei.core.pdf import STATIC_DIR, RefusedURL, StaticOnlyFetcher, render_document, render_pdf
from utvei.evaluation.charts import Bar, bar_chart

CSS = STATIC_DIR / "utvei" / "utvei.css"
SVG_DATA = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='10' height='10'%3E"
    "%3Crect width='10' height='10'/%3E%3C/svg%3E"
)


def page(body: str, head: str = "") -> str:
    return f'<!doctype html><html lang="nb"><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


REPORT = page(
    "<h1>Evalueringsrapport</h1>"
    "<table><caption>Saker</caption><tr><th>Kvartal</th><th>Åpnet</th></tr><tr><td>2025 K1</td><td>4</td></tr>"
    "</table>"
    + str(bar_chart([Bar("Skole", 0.4), Bar("Bolig", None)], chart_id="c1", title="T", desc="D", value_label="V"))
)


def boxes(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from boxes(child)


def texts(document) -> str:
    return " ".join(b.text for p in document.pages for b in boxes(p._page_box) if hasattr(b, "text"))


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks the fetcher for, with what became of it."""
    log: list[tuple[str, str]] = []
    original = StaticOnlyFetcher.fetch

    def spy(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except RefusedURL:
            log.append((url, "refused"))
            raise
        log.append((url, "served"))
        return response

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", spy)
    return log


@pytest.fixture
def offline(monkeypatch):
    """No network: every attempt to resolve or connect is recorded and fails."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network unreachable (test)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_a_report_with_a_heading_a_table_and_an_svg_chart_renders_to_pdf():
    pdf = render_pdf(REPORT)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    document = render_document(REPORT)
    words = texts(document)
    assert "Evalueringsrapport" in words and "2025 K1" in words
    assert [
        b for p in document.pages for b in boxes(p._page_box) if isinstance(getattr(b, "replacement", None), SVGImage)
    ]


def test_it_works_without_and_with_a_base_url(fetched):
    head = '<link rel="stylesheet" href="utvei/utvei.css">'
    assert render_pdf(page("<p>x</p>", head), base_url=STATIC_DIR.as_uri() + "/").startswith(b"%PDF")
    assert fetched == [(STATIC_DIR.as_uri() + "/utvei/utvei.css", "served")]
    assert render_pdf(page("<p>x</p>", head)).startswith(b"%PDF")  # no base: the page sits at the site's root
    assert fetched[1] == ("file:///utvei/utvei.css", "refused")  # which has no /utvei/ folder


def test_web_addresses_are_refused_without_touching_the_network(offline, fetched, caplog):
    caplog.set_level(logging.DEBUG)
    head = (
        '<link rel="stylesheet" href="https://example.invalid/x.css">'
        "<style>@import url(http://example.invalid/i.css); "
        "@font-face { font-family: X; src: url(https://example.invalid/x.woff2) } "
        "body { background: url(ftp://example.invalid/b.png) }</style>"
    )
    body = '<h1>Rapport</h1><img src="http://example.invalid/x.png" alt="">'
    pdf = render_pdf(page(body, head))
    assert pdf.startswith(b"%PDF")
    assert offline == []  # never resolved a name, never connected
    asked = dict(fetched)
    for url in ("http://example.invalid/x.png", "https://example.invalid/x.css", "http://example.invalid/i.css"):
        assert asked[url] == "refused"
    assert all(outcome == "refused" for url, outcome in fetched if "example.invalid" in url)
    # WeasyPrint's records of the refusals (which carry the URL) are dropped; ours name the scheme only.
    assert not [r for r in caplog.records if "example.invalid" in r.getMessage()]
    ours = [r.getMessage() for r in caplog.records if r.name == "utvei.core.pdf"]
    assert "refused a http URL" in ours and "refused a https URL" in ours
    assert logging.getLogger("weasyprint").filters == logging.getLogger("weasyprint.progress").filters == []


def test_a_static_stylesheet_is_served_from_disk(fetched):
    render_pdf(page("<p>x</p>", '<link rel="stylesheet" href="/static/utvei/utvei.css">'))
    assert fetched == [("file:///static/utvei/utvei.css", "served")]
    response = StaticOnlyFetcher()("/static/utvei/utvei.css")
    assert response.read() == CSS.read_bytes() and response.content_type == "text/css"
    response = StaticOnlyFetcher()(CSS.resolve().as_uri() + "?v=2")
    assert response.read() == CSS.read_bytes()


def test_data_urls_are_served(fetched):
    render_pdf(page(f'<img src="{SVG_DATA}" alt="">'))
    assert fetched == [(SVG_DATA, "served")]
    assert StaticOnlyFetcher()("data:text/css,h1%7Bcolor:red%7D").read() == b"h1{color:red}"


@pytest.mark.parametrize(
    "url",
    [
        "file:///static/../../etc/passwd",
        "/static/../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "file:///static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "file:///static/%252e%252e/settings.py",
        "file:///etc/passwd",
        "/etc/passwd",
        "../../etc/passwd",
        STATIC_DIR.as_uri() + "/../settings.py",
        STATIC_DIR.as_uri() + "/utvei",  # a directory
        "file:///static/utvei/missing.css",
        "file://evil.example/static/utvei/utvei.css",
        "http://example.invalid/static/utvei/utvei.css",
        "https://example.invalid/x.css",
        "ftp://example.invalid/x.css",
        "javascript:alert(1)",
    ],
)
def test_anything_but_static_files_and_data_is_refused(url):
    with pytest.raises(RefusedURL):
        StaticOnlyFetcher()(url)


def test_traversal_in_a_document_is_refused_and_the_document_still_renders(fetched):
    body = '<img src="../../etc/passwd" alt=""><img src="/static/../../../../etc/passwd" alt="">'
    head = '<link rel="stylesheet" href="../../../etc/passwd">'
    assert render_pdf(page(body, head)).startswith(b"%PDF")
    assert fetched and all(outcome == "refused" for _url, outcome in fetched)


def test_a_link_out_of_the_static_directory_is_refused(tmp_path: Path):
    static = tmp_path / "static"
    (static / "utvei").mkdir(parents=True)
    secret = tmp_path / "secret.css"
    secret.write_text("h1 { color: red }")
    (static / "utvei" / "inside.css").write_text("h1 { color: blue }")
    (static / "utvei" / "escape.css").symlink_to(secret)
    fetcher = StaticOnlyFetcher(static_dir=static)
    assert fetcher("/static/utvei/inside.css").read() == b"h1 { color: blue }"
    with pytest.raises(RefusedURL):
        fetcher("/static/utvei/escape.css")
