"""One spider class per bundled site profile, so ``scrapy crawl <key>`` works for every profile.

Each alias is a :class:`PortalSpider` subclass (an :class:`EpaperSpider` for an e-paper profile) named after the
profile key; the spider itself stays the
single profile-driven implementation.
"""

from __future__ import annotations

from linfen_crawler.profiles import all_profiles
from linfen_crawler.spiders.epaper import spider_class
from linfen_crawler.spiders.portal import PortalSpider


def _alias(key: str) -> type[PortalSpider]:
    base = spider_class(key)  # issue 17: e-papers are crawled by date; the choice is the runner's too
    return type(f"{key.title()}Spider", (base,),
                {"name": key, "site_key": key, "__module__": __name__,
                 "__doc__": f"{base.__name__} for the {key!r} profile."})


for _key in all_profiles():
    globals()[f"{_key.title()}Spider"] = _alias(_key)
