"""Datasette integration: metadata (descriptions in Chinese and English, facets, canned queries) and a plugin
that makes the search box and SQL understand Chinese words of any length. ``linfen serve`` uses both."""
