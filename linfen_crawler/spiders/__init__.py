"""Spiders: :class:`PortalSpider` and one alias per site profile (``scrapy crawl lfxww``)."""

from linfen_crawler.spiders.portal import PortalSpider

__all__ = ["PortalSpider"]
