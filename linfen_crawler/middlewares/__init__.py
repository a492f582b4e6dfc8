"""Downloader and spider middlewares: proxy routing, robots.txt, and the crawler's guards against hostile servers.

A crawler runs against servers it does not control. The guards make every failure a *named* outcome
(:class:`~linfen_crawler.middlewares.failures.PageFailure`'s ``linfen_reason``, which the spider's errback
records in stats and, for article URLs, in ``rejects``), keep every request inside the profile's domains,
and bound what one page or one run can cost. One module per middleware or tight family:

===============================  ============  ========  ===========================================================
component                        module        order     does
===============================  ============  ========  ===========================================================
SiteGuardMiddleware              guards        50        refuses requests outside the profile's domains and to
                                                         private or loopback addresses; names a too-large
                                                         download ``too_large``
RobotsTxtMiddleware              robots        100       Scrapy's, checking requests that wait for robots.txt too
BackoffRetryMiddleware           retry         550       Scrapy's retries, waiting (exponential backoff,
                                                         ``Retry-After``)
GuardedMetaRefreshMiddleware     guards        580       Scrapy's ``<meta refresh>`` redirects, with the refusals
ResponseGuardMiddleware          antibot       585       anti-bot answers (JS challenge, captcha): named, never
                                                         parsed, slow the site down, stop the run when they
                                                         persist; non-HTML bodies
DecompressionGuardMiddleware     guards        590       Scrapy's decompression; a gzip bomb is
                                                         ``too_large_decompressed``
GuardedRedirectMiddleware        guards        600       Scrapy's redirects, refusing offsite / private / looping
                                                         targets
ProxyRouteMiddleware             proxy         740       every request through ``LINFEN_PROXY``
CrawlGuardSpiderMiddleware       crawlguard    (spider)  depth and per-run request caps, per-page text cap, a
                                                         crashing callback becomes a ``parse_error`` reject
===============================  ============  ========  ===========================================================

Beside them: :mod:`linfen_crawler.extensions` (run accounting, progress, raw pages) and
:mod:`linfen_crawler.fingerprint` (the dupefilter sees canonical URLs). Settings (all documented in
docs/settings.md) are read in ``from_crawler``; docs/reliability.md lists every fault, what these components
do about it and the test that shows it.
"""
