"""The departments' own forms of one submission as a printable page and a PDF (一源多用).

Same WeasyPrint setup as the catalogue's guide PDF (catalog/pdf.py): Debian's Noto CJK fonts through
fontconfig, inline styles, every external URL refused. Submissions carry personal data, so nothing here
is cached.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.template.loader import render_to_string
from weasyprint import HTML

from onetrip.bundles.projection import DepartmentForm


def _refuse_urls(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    # Offline by design: a printed form never loads anything from outside the document.
    raise ValueError(f"external resource refused: {url[:80]}")


def projection_html(*, bundle_name: str, departments: Sequence[DepartmentForm]) -> str:
    return render_to_string(
        "bundles/projection_print.html", {"bundle_name": bundle_name, "departments": departments}
    )


def projection_pdf(*, bundle_name: str, departments: Sequence[DepartmentForm]) -> bytes:
    html = projection_html(bundle_name=bundle_name, departments=departments)
    document = HTML(string=html, url_fetcher=_refuse_urls, base_url="about:blank")
    return bytes(document.write_pdf())
