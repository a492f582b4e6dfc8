"""One spider class per bundled site profile, so ``scrapy crawl <key>`` works for every profile.

Each alias is a :class:`PortalSpider` subclass (an :class:`EpaperSpider` for an e-paper profile) named after the
profile key; the spider itself stays the
single profile-driven implementation.
"""

from __future__ import annotations

from linfen_crawler.profiles import all_profiles
from linfen_crawler.spiders.epaper import EpaperSpider
from linfen_crawler.spiders.portal import PortalSpider


def _alias(key: str, kind: str) -> type[PortalSpider]:
    base = EpaperSpider if kind == "epaper" else PortalSpider  # issue 17: e-papers are crawled by date
    return type(f"{key.title()}Spider", (base,),
                {"name": key, "site_key": key, "__module__": __name__,
                 "__doc__": f"{base.__name__} for the {key!r} profile."})


for _key, _profile in all_profiles().items():
    globals()[f"{_key.title()}Spider"] = _alias(_key, _profile.kind)
