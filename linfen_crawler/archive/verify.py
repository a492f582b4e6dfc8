"""``linfen archive verify``: every pointer of the dataset leads to a sound record with the right payload.

Pure over its inputs (capture rows as :meth:`~linfen_crawler.storage.Dataset.iter_captures` gives them, and
the archive folder), so it is tested without a crawl.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from linfen_crawler.archive.warc import ArchiveError, Pointer, payload_digest, read_record


def check_capture(folder: str | os.PathLike[str], row: dict[str, Any]) -> str | None:
    """What is wrong with one capture's pointer (one line), or None."""
    pointer = Pointer(row["warc_file"], row["warc_offset"], row["warc_length"])
    try:
        record = read_record(folder, pointer)
    except ArchiveError as exc:
        return str(exc)
    if record.type != row["record"]:
        return f"{pointer.file}@{pointer.offset}: a {record.type} record, the dataset says {row['record']}"
    if record.uri not in (row["final_url"], row["url"]):
        return f"{pointer.file}@{pointer.offset}: the record is for {record.uri}"
    if record.digest != row["digest"]:
        return f"{pointer.file}@{pointer.offset}: payload digest {record.digest}, the dataset says {row['digest']}"
    if record.type == "response":
        actual = payload_digest(record.body)
        if actual != row["digest"]:
            return f"{pointer.file}@{pointer.offset}: the payload's digest is {actual}, not {row['digest']}"
    elif row.get("payload_digest") != row["digest"]:
        return f"revisit of capture {row['payload_id']}, whose payload digest is {row.get('payload_digest')}"
    return None


def verify(folder: str | os.PathLike[str], captures: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One line per capture whose pointer or digest is wrong."""
    for row in captures:
        problem = check_capture(folder, row)
        if problem is not None:
            yield f"capture {row['id']} ({row['url']}): {problem}"
