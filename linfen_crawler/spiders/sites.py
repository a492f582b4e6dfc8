"""One spider class per bundled site profile, so ``scrapy crawl <key>`` works for every profile.

Each alias is a :class:`PortalSpider` subclass named after the profile key; the spider itself stays the
single profile-driven implementation.
"""

from __future__ import annotations

from linfen_crawler.profiles import all_profiles
from linfen_crawler.spiders.portal import PortalSpider


def _alias(key: str) -> type[PortalSpider]:
    return type(f"{key.title()}Spider", (PortalSpider,),
                {"name": key, "site_key": key, "__module__": __name__,
                 "__doc__": f"PortalSpider for the {key!r} profile."})


for _key in all_profiles():
    globals()[f"{_key.title()}Spider"] = _alias(_key)
