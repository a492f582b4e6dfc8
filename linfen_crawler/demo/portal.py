"""The server-side sample portal: every sample site's pages in memory, by host name.

:class:`Portal` serves the :class:`~linfen_crawler.demo.base.SampleSite` of each bundled profile
(:func:`linfen_crawler.demo.sites.sample_sites`): the sample 临汾新闻网 (:mod:`linfen_crawler.demo.lfxww`)
first, then the small portals of the other profiles. :class:`~linfen_crawler.demo.server.DemoServer`
answers HTTP requests from it.

>>> portal = Portal()
>>> portal.get("/linfen/djll/93512.html").status
200
>>> len(expected_articles()) >= 70
True
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from linfen_crawler.demo.base import Page, SampleSite
from linfen_crawler.demo.epaper import Epaper
from linfen_crawler.demo.sites import sample_sites

__all__ = ["Page", "Portal", "default_portal", "expected_articles", "non_article_urls", "start_urls"]

class Portal:
    """The sample sites, built once in memory; :meth:`publish` adds articles later (thread-safe).

    Each site is a :class:`~linfen_crawler.demo.base.SampleSite` answering for its own host name: the
    sample 临汾新闻网 (``www.lfxww.com``, :mod:`linfen_crawler.demo.lfxww`) and the small portals of the other
    bundled profiles (运城新闻网, 晋城新闻网, 长治新闻网). The first site is the home site: the server's own
    address shows it, :meth:`get` defaults to it and :meth:`publish` adds to it. Methods that list records or
    URLs take ``site=`` (a profile key) to keep to one site.
    """

    def __init__(self, published: int = 0) -> None:
        sites = sample_sites()
        self._sites: dict[str, SampleSite] = {site.key: site for site in sites}
        self._hosts = {site.host: site.key for site in sites}
        self._home = sites[0].key
        self.home_host = sites[0].host
        # issue 17: the sample 临汾日报 e-paper, served beside the portals; `linfen demo` does not crawl it
        # (an e-paper is crawled by date: `linfen crawl lfrb --from 2024-01-10 --to 2024-01-21`)
        self.epaper = Epaper()
        self._published = 0
        self._lock = threading.Lock()
        if published:
            self.publish(published)

    @property
    def home(self) -> SampleSite:
        """The home site as built now (tests change its ``pages`` in place to simulate site changes)."""
        return self._sites[self._home]

    def _each(self, site: str | None) -> list[SampleSite]:
        return [s for key, s in self._sites.items() if site in (None, key)]

    # -- public API

    def sites(self) -> list[str]:
        """Profile keys of the sites this portal serves."""
        return sorted(self._sites)

    def papers(self) -> list[str]:
        """Profile keys of the e-papers this portal serves (crawled by date, not by ``linfen demo``)."""
        return [self.epaper.key]

    def hosts(self) -> dict[str, str]:
        """Host name -> profile key, for every host that serves a site or an e-paper."""
        return {**self._hosts, self.epaper.host: self.epaper.key}

    def bare_hosts(self) -> dict[str, str]:
        """Bare domain -> the www host it redirects to."""
        return {site.bare_host: site.host for site in self._sites.values()}

    def get(self, path: str, host: str | None = None) -> Page | None:
        """The page for a path with optional query (``/plus/view.php?aid=1``) on a host (default: the home
        site's), or None (→ 404)."""
        if host == self.epaper.host:
            return self.epaper.get(path)
        key = self._hosts.get(self.home_host if host is None else host)
        return None if key is None else self._sites[key].get(path)

    def publish(self, n: int = 1) -> list[str]:
        """Add n new articles at the top of the home site's section lists; return their URLs."""
        with self._lock:
            site, urls = self._sites[self._home].with_published(n)
            self._sites[self._home] = site  # swapped in one assignment: readers see old or new
            self._published += n
        return urls

    @property
    def published(self) -> int:
        return self._published

    def expected_articles(self, site: str | None = None) -> list[dict[str, Any]]:
        """One record per article the crawler must store (copies; newest first), of every site or one."""
        records = [r for s in self._each(site) for r in copy.deepcopy(s.expected)]
        records.sort(key=lambda r: (r["published_at"], r["url"]), reverse=True)
        return records

    def non_article_urls(self, site: str | None = None) -> list[str]:
        """Pages linked from lists like articles that must be rejected, not stored."""
        return [url for s in self._each(site) for url in s.non_article_urls()]

    def start_urls(self, site: str | None = None) -> list[str]:
        """Section list URLs of every site, or of one."""
        return [url for s in self._each(site) for url in s.start_urls()]

    def multipage_urls(self) -> list[str]:
        """All page URLs of each multi-page article, first page first."""
        return [url for s in self._sites.values() for url in s.multipage_urls()]

    def paths(self) -> list[str]:
        """Paths the home site serves."""
        return sorted(self._sites[self._home].pages)


_default: Portal | None = None
_default_lock = threading.Lock()


def default_portal() -> Portal:
    """A shared, never-published Portal (built on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Portal()
        return _default


def expected_articles(site: str | None = None) -> list[dict[str, Any]]:
    """Records the crawler must store for the unpublished portal (see :meth:`Portal.expected_articles`)."""
    return default_portal().expected_articles(site)


def non_article_urls(site: str | None = None) -> list[str]:
    return default_portal().non_article_urls(site)


def start_urls(site: str | None = None) -> list[str]:
    return default_portal().start_urls(site)
