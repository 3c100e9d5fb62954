"""Links to addresses that users and imports supply (a model's `website`): only http(s) URLs
become links, so an imported `javascript:` or `data:` URL is never clickable."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def http_url(value: str | None) -> str:
    """`value` when it is an absolute http(s) URL with a host, else "" (render no link)."""
    if not value:
        return ""
    # Browsers drop tabs and newlines inside a scheme ("java\tscript:"): judge what they see.
    url = value.strip().replace("\t", "").replace("\n", "").replace("\r", "")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return url
