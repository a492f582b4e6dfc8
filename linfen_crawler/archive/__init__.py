"""The web archive: every fetched page kept as WARC records beside the dataset (docs/archive.md)."""
