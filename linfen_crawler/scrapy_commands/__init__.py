"""Scrapy commands of this project (Scrapy's ``COMMANDS_MODULE``): ``scrapy crawl`` that exits as ``linfen crawl``."""
