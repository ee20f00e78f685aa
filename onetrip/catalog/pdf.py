"""The guide as a PDF, "一图一册一清单": page 1 the flow chart, then the handbook, then the material checklist.

WeasyPrint lays out `catalog/guide_pdf.html` with Debian's Noto CJK fonts (found through fontconfig) and
embeds the subset it uses. Nothing is fetched: the style sheet is inline and every URL is refused.
A published or retired version never changes, so its PDF is cached; a new version has a new key.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.template.loader import render_to_string
from weasyprint import HTML

from onetrip.catalog.guide import Guide

CACHE_SECONDS = 6 * 3600


def _refuse_urls(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    # Offline by design: a guide never loads anything from outside the document.
    raise ValueError(f"external resource refused: {url[:80]}")


def guide_pdf_html(guide: Guide) -> str:
    return render_to_string(
        "catalog/guide_pdf.html", {"guide": guide, "v": guide.version, "item": guide.item}
    )


def guide_pdf(guide: Guide) -> bytes:
    version = guide.version
    stamp = f"{version.pk}:{version.version}:{version.status}:{version.published_at}:{guide.item.implementation_code}"
    key = "guide-pdf:" + hashlib.sha256(stamp.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return bytes(cached)
    document = HTML(string=guide_pdf_html(guide), url_fetcher=_refuse_urls, base_url="about:blank")
    pdf = bytes(document.write_pdf())  # no target given: WeasyPrint returns the document's bytes
    cache.set(key, pdf, CACHE_SECONDS)
    return pdf
