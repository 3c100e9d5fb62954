"""Exports behind a plain http(s) base URL, e.g. the public bucket's website address.

Files are fetched with GET under the base URL. Listing has no standard over HTTP, so the reader
finds out once which of these the server speaks:
1. S3's REST listing (`?list-type=2&delimiter=/`), virtual-hosted (`bucket.s3.amazonaws.com`)
   or path-style (`host/bucket/...`): what AWS, MinIO and most S3-compatible stores answer.
2. An HTML directory index (nginx `autoindex`, Apache, `python -m http.server`): the links of
   the folder's page.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import BinaryIO
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

from importer.locations import FileInfo, Listing, LocationError, ReaderOptions, join

S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class HttpReader:
    def __init__(self, base_url: str, timeout: int, location: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.location = location
        self._mode: tuple[str, str, str] | None = None  # (kind, list URL, key prefix)

    @classmethod
    def from_location(cls, location: str, options: ReaderOptions) -> HttpReader:
        if not urlsplit(location).netloc:
            raise LocationError(f"{location}: expected http(s)://host/path.")
        return cls(location, options.timeout, location)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{quote(path, safe='/')}" if path else f"{self.base_url}/"

    def open(self, path: str) -> BinaryIO:
        try:
            return urllib.request.urlopen(self.url(path), timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            raise LocationError(f"{self.url(path)}: {exc}", transient=exc.code >= 500) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise LocationError(f"{self.url(path)}: {exc}", transient=True) from exc

    def list_dir(self, path: str) -> Listing:
        kind, list_url, key_prefix = self._listing_mode()
        if kind == "s3":
            return self._list_s3(list_url, key_prefix, path)
        return self._list_html(path)

    def _listing_mode(self) -> tuple[str, str, str]:
        if self._mode is None:
            parts = urlsplit(self.base_url)
            origin = f"{parts.scheme}://{parts.netloc}"
            segments = [s for s in unquote(parts.path).split("/") if s]
            candidates = [(f"{origin}/", "/".join(segments))]  # virtual-hosted bucket
            if segments:  # path-style: the first segment is the bucket
                candidates.append((f"{origin}/{quote(segments[0])}", "/".join(segments[1:])))
            self._mode = ("html", "", "")
            for list_url, key_prefix in candidates:
                if self._s3_page(list_url, key_prefix, probe=True) is not None:
                    self._mode = ("s3", list_url, key_prefix)
                    break
        return self._mode

    def _s3_page(
        self, list_url: str, prefix: str, token: str = "", probe: bool = False
    ) -> ET.Element | None:
        query = {"list-type": "2", "delimiter": "/", "prefix": f"{prefix}/" if prefix else ""}
        if token:
            query["continuation-token"] = token
        try:
            with urllib.request.urlopen(
                f"{list_url}?{urlencode(query)}", timeout=self.timeout
            ) as response:
                body = response.read()
            root = ET.fromstring(body)
        except (urllib.error.URLError, OSError, ET.ParseError) as exc:
            if probe:
                return None
            raise LocationError(f"{self.location}: cannot list {prefix}: {exc}") from exc
        if root.tag.removeprefix(S3_NS) != "ListBucketResult":
            if probe:
                return None
            raise LocationError(f"{self.location}: unexpected listing answer {root.tag}.")
        return root

    def _list_s3(self, list_url: str, key_prefix: str, path: str) -> Listing:
        prefix = join(key_prefix, path)
        cut = len(f"{prefix}/") if prefix else 0
        listing = Listing()
        token = ""
        while True:
            root = self._s3_page(list_url, prefix, token)
            assert root is not None
            for common in root.iter(f"{S3_NS}CommonPrefixes"):
                listing.dirs.append(_text(common, "Prefix")[cut:].strip("/"))
            for item in root.iter(f"{S3_NS}Contents"):
                name = _text(item, "Key")[cut:]
                if name:
                    size = int(_text(item, "Size") or 0)
                    etag = _text(item, "ETag").strip('"')
                    listing.files.append(FileInfo(join(path, name), size, etag))
            token = _text(root, "NextContinuationToken")
            if _text(root, "IsTruncated") != "true" or not token:
                return listing

    def _list_html(self, path: str) -> Listing:
        folder_url = self.url(f"{path}/" if path else "")
        try:
            with urllib.request.urlopen(folder_url, timeout=self.timeout) as response:
                charset = response.headers.get_content_charset() or "utf-8"
                page = response.read().decode(charset, "replace")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return Listing()
            raise LocationError(f"{folder_url}: {exc}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise LocationError(f"{folder_url}: {exc}") from exc
        links = _Links()
        links.feed(page)
        listing = Listing()
        for href in links.hrefs:
            target = urljoin(folder_url, href).split("?", 1)[0].split("#", 1)[0]
            if not target.startswith(folder_url) or target == folder_url:
                continue  # parent folder, sort links, other sites
            name = unquote(target[len(folder_url) :])
            if name.endswith("/") and "/" not in name[:-1]:
                listing.dirs.append(name[:-1])
            elif "/" not in name:
                listing.files.append(FileInfo(join(path, name), 0))
        listing.dirs = sorted(set(listing.dirs))
        listing.files = sorted(set(listing.files), key=lambda f: f.path)
        return listing


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _text(element: ET.Element, tag: str) -> str:
    found = element.find(f"{S3_NS}{tag}")
    return (found.text or "") if found is not None else ""
