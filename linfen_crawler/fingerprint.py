"""The request fingerprinter (``REQUEST_FINGERPRINTER_CLASS``): the dupefilter sees canonical URLs."""

from __future__ import annotations

from scrapy import Request
from scrapy.utils.request import RequestFingerprinter

from linfen_crawler.normalize import canonicalize_url


class CanonicalRequestFingerprinter(RequestFingerprinter):
    """Scrapy's fingerprint of the request with its URL canonicalised (:func:`canonicalize_url`): tracking
    parameters and fragments dropped, query sorted, host lower-cased. The dupefilter then sees one URL for
    ``/1.html?utm_source=x``, ``/1.html#top`` and ``/1.html``, however a request was made (link, redirect …).
    """

    def fingerprint(self, request: Request) -> bytes:
        canonical = canonicalize_url(request.url)
        if canonical != request.url:
            request = request.replace(url=canonical)
        return super().fingerprint(request)
