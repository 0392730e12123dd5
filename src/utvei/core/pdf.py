"""HTML rendered to PDF by WeasyPrint with no way out to the network (the evaluation report, the subject-access export).

WeasyPrint fetches every stylesheet, image and font a document names through its URL fetcher; the default one
speaks HTTP, HTTPS, FTP and reads any local file. Here the fetcher is :class:`StaticOnlyFetcher`, which serves
only ``data:`` URLs and files under the ``utvei`` package's own ``static/`` directory, and refuses everything
else (http, https, other files, paths that climb out with ``..``) by raising, which WeasyPrint takes as a failed
fetch: the resource is skipped and the report is still rendered. Nothing is ever looked up or connected to.

``/static/…`` means the project's static directory, whether it comes as a root-relative URL or, once WeasyPrint
has joined it with the document's base, as ``file:///static/…``. Without a base URL the document is taken to sit
at the site's root (``file:///``), so ``/static/utvei/report.css`` and ``static/utvei/report.css`` both work.

WeasyPrint logs each refused fetch with its URL, and its progress log names every stylesheet's URL. Those records
are dropped while a report renders (filters on WeasyPrint's two loggers, added and removed around the call; nothing
else about logging changes): a report's URLs are the template's, not the person's, but a log is no place for them.
The refusal itself is logged here at debug level with the URL's scheme only.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib import request
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

import utvei

STATIC_DIR = Path(utvei.__file__).resolve().parent / "static"
STATIC_PREFIX = "/static/"  # settings.STATIC_URL
DEFAULT_BASE_URL = "file:///"  # without a base, the document sits at the site's root
SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9.+-]+):")  # as WeasyPrint reads a URL's scheme
CONTENT_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2"}

logger = logging.getLogger(__name__)


class RefusedURL(ValueError):
    """A URL the report may not fetch. WeasyPrint catches it, logs it and skips the resource."""


class StaticOnlyFetcher(URLFetcher):  # WeasyPrint ships no type hints: URLFetcher is Any to mypy
    """WeasyPrint's URL fetcher, cut down to ``data:`` URLs and the project's static files.

    In WeasyPrint 70 a fetcher is an instance of ``weasyprint.urls.URLFetcher`` (an ``urllib`` opener): its
    ``fetch(url, headers)`` returns a ``URLFetcherResponse`` or raises, and WeasyPrint reads its
    ``_fail_on_errors``. This subclass keeps that shape but never calls the opener, so none of urllib's network
    handlers is ever reached."""

    def __init__(self, static_dir: Path = STATIC_DIR) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, fail_on_errors=False)
        self.static_dir = static_dir.resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        match = SCHEME.match(url)
        scheme = match[1].lower() if match else ""
        try:
            if scheme == "data":
                return self._data(url)
            if scheme in ("file", ""):
                path = self.static_path(url)
                if path is not None:
                    body = path.read_bytes()
                    content_type = CONTENT_TYPES.get(path.suffix.lower()) or (
                        mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    )
                    return URLFetcherResponse(url, body, {"Content-Type": content_type})
        except (OSError, ValueError) as error:
            logger.debug("refused a %s URL: %s", scheme or "relative", type(error).__name__)
            raise RefusedURL(f"{scheme or 'relative'} URL could not be read") from None
        logger.debug("refused a %s URL", scheme or "relative")
        raise RefusedURL(f"{scheme or 'relative'} URL refused: only data: URLs and static files are served")

    def open(self, url: object, data: object = None, timeout: object = None) -> URLFetcherResponse:
        # urllib's entry point on the opener: it goes through fetch as well, never to a handler.
        return self.fetch(getattr(url, "full_url", str(url)))

    def static_path(self, url: str) -> Path | None:
        """The file under the static directory that `url` names, or None if it names anything else."""
        parts = urlsplit(url)
        if parts.scheme not in ("file", "") or parts.netloc not in ("", "localhost"):
            return None  # a query or fragment ("?v=2", "#icon") does not change which file is named
        raw = request.url2pathname(parts.path) if parts.scheme == "file" else unquote(parts.path)  # decoded once
        if "\x00" in raw:
            return None
        candidates = [Path(raw)]
        if raw.startswith(STATIC_PREFIX):
            candidates.insert(0, self.static_dir / raw[len(STATIC_PREFIX) :])
        for candidate in candidates:
            if not candidate.is_absolute():
                continue
            resolved = candidate.resolve()
            if resolved.is_relative_to(self.static_dir) and resolved.is_file():
                return resolved
        return None

    @staticmethod
    def _data(url: str) -> URLFetcherResponse:
        # A data: URL only (checked by the caller): decoded in memory, no I/O.
        response = request.DataHandler().data_open(request.Request(url))  # noqa: S310
        return URLFetcherResponse(url, response.read(), {"Content-Type": response.headers["Content-type"]})


class _DropRefusals(logging.Filter):
    """Drops WeasyPrint's records about a fetch this module refused (they carry the URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        things = list(record.args) if isinstance(record.args, tuple) else [record.args]
        if record.exc_info and record.exc_info[1] is not None:
            things.append(record.exc_info[1])
        return not any(RefusedURL.__name__ in str(thing) for thing in things if isinstance(thing, BaseException))


class _DropURLs(logging.Filter):
    """Drops WeasyPrint's progress records that name a URL ("Step 2 - Fetching and parsing CSS - https://…"),
    before anyone knows whether the fetch will be refused; "Step 2 - … - CSS string" and the like stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        return not any(isinstance(arg, str) and SCHEME.match(arg) for arg in args)


@contextmanager
def _quiet_refusals() -> Iterator[None]:
    """For the length of one rendering: WeasyPrint's records of refused URLs are dropped, nothing else."""
    pairs = [
        (logging.getLogger("weasyprint"), _DropRefusals()),
        (logging.getLogger("weasyprint.progress"), _DropURLs()),
    ]
    for log, drop in pairs:
        log.addFilter(drop)
    try:
        yield
    finally:
        for log, drop in pairs:
            log.removeFilter(drop)


def render_document(html: str, *, base_url: str | None = None) -> weasyprint.Document:
    """The laid-out document (pages and boxes) that :func:`render_pdf` writes, for a test to read its text."""
    with _quiet_refusals():
        return _html(html, base_url).render()


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Render an HTML document to PDF bytes. Only ``data:`` URLs and the project's static files are fetched.

    `base_url` resolves the document's relative URLs; leave it None for a report whose stylesheets and images
    are named ``/static/…`` (an http(s) base would turn them into web addresses, which are refused)."""
    with _quiet_refusals():
        return bytes(_html(html, base_url).write_pdf())


def _html(html: str, base_url: str | None) -> weasyprint.HTML:
    return weasyprint.HTML(string=html, base_url=base_url or DEFAULT_BASE_URL, url_fetcher=StaticOnlyFetcher())
