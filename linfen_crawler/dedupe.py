"""Near-duplicate bodies (syndicated stories): character shingles, MinHash sketches and LSH band keys.

Local portals republish the same story (来源：山西日报) in other sections and on other sites within hours, with
a different lead (本报讯 / 临汾新闻网讯), editor line or a trimmed paragraph. Two bodies are near-duplicates
when the Jaccard similarity of their sets of character 5-grams (whitespace and punctuation removed, so width
and spacing do not matter) reaches :data:`THRESHOLD`.

Finding candidates without comparing every pair: each body gets a MinHash signature of :data:`BINS` values
by one-permutation hashing (one 64-bit hash per shingle, the low bits pick a bin, each bin keeps its
minimum; empty bins are filled from their right neighbour, "rotation densification"), cut into
:data:`BANDS` bands of :data:`ROWS` values. Each band hashes to one integer key; two bodies sharing any key
are candidates (probability ``1 - (1 - s**4)**16`` for similarity ``s``: 0.99 at 0.7, 0.9998 at 0.8). A candidate
whose signature (kept as a :func:`sketch`) agrees with the body's in a share of its values more than
:data:`SKETCH_MARGIN` below the threshold is dropped unread; every other candidate is confirmed with the
exact Jaccard similarity, so sketches never decide that two bodies are copies.

The shingle hash is a polynomial hash of the shingle's code points (mod 2**64) put through the splitmix64
finaliser, so a whole body is hashed at once with numpy (a rolling hash over its UTF-32 code points) in
about 50 µs instead of one blake2b call per shingle in a Python loop (1.4 ms for 2,000 characters).
:func:`signature` (a set of shingles) and :func:`text_signature` (a body) give the same values; the keys
of the earlier blake2b hash are rebuilt by schema migration 4 (``storage.py``).

Pure functions, no SQL: ``storage.Dataset`` keeps the keys (``article_lsh`` and its newest keys in
``article_lsh_recent``), the sketches, and sets ``duplicate_of``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

SHINGLE = 5  # characters per shingle
BINS = 64  # MinHash values per signature
ROWS = 4  # values per LSH band
BANDS = BINS // ROWS
THRESHOLD = 0.7  # Jaccard similarity of shingle sets from which two bodies are near-duplicates
MIN_CHARS = 50  # bodies shorter than this (after normalisation) are never compared: too little evidence
# A candidate whose stored sketch agrees with the body's in a share of the BINS values more than this below
# the threshold is not compared exactly: for similarity 0.7 the share is binomial around 0.7 (standard
# deviation 0.057), so below 0.45 is 4.4 deviations away, once in 10**5 copies (for 0.4, 4.1 deviations); a
# body sharing one band by chance (similarity 0.1-0.3) is dropped without reading it (issue 16)
SKETCH_MARGIN = 0.25

_NOISE = re.compile(r"[\W_]+")
_EMPTY = (1 << 58) - 1  # larger than any 58-bit bin value
_MASK63 = (1 << 63) - 1


def normalise(text: str | None) -> str:
    """Body text as compared: lower case, without whitespace or punctuation (of any width)."""
    return _NOISE.sub("", (text or "").lower())


def shingles(text: str | None, size: int = SHINGLE) -> frozenset[str]:
    """The set of character ``size``-grams of the normalised text; empty when it is shorter than MIN_CHARS."""
    norm = normalise(text)
    if len(norm) < MIN_CHARS:
        return frozenset()
    return frozenset(norm[i:i + size] for i in range(len(norm) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Exact Jaccard similarity of two shingle sets (0.0 when either is empty)."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _h64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


_M64 = (1 << 64) - 1
_BASE = 0x100000001B3  # multiplier of the polynomial code-point hash (the 64-bit FNV prime)
_MIX1, _MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB  # splitmix64 finaliser


def shingle_hash(shingle: str) -> int:
    """The 64-bit hash of one shingle: polynomial over its code points, then the splitmix64 finaliser."""
    h = 0
    for ch in shingle:
        h = (h * _BASE + ord(ch)) & _M64
    h ^= h >> 30
    h = (h * _MIX1) & _M64
    h ^= h >> 27
    h = (h * _MIX2) & _M64
    return h ^ (h >> 31)


def _densify(sig: list[int]) -> list[int]:
    """Rotation densification: an empty bin borrows the next filled bin to its right, offset by the distance."""
    out = list(sig)
    for i in range(BINS):
        if sig[i] == _EMPTY:
            j, dist = (i + 1) % BINS, 1
            while sig[j] == _EMPTY:
                j, dist = (j + 1) % BINS, dist + 1
            out[i] = (sig[j] + dist * 0x9E3779B97F4A7C15) & ((1 << 58) - 1)
    return out


def signature(shingle_set: Iterable[str]) -> list[int]:
    """One-permutation MinHash signature of :data:`BINS` values (empty list for an empty set)."""
    sig = [_EMPTY] * BINS
    seen = False
    for sh in shingle_set:
        h = shingle_hash(sh)
        b, v = h & (BINS - 1), h >> 6
        if v < sig[b]:
            sig[b] = v
        seen = True
    return _densify(sig) if seen else []


def _shingle_hashes(norm: str, size: int) -> Any:
    """:func:`shingle_hash` of every shingle of a normalised text, at once (a numpy uint64 array)."""
    import numpy as np  # here, not at the top: the analyst commands import this module and never hash (issue 16)

    cps = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(cps) - size + 1
    h = cps[:n].copy()
    base = np.uint64(_BASE)
    for k in range(1, size):  # uint64 array arithmetic wraps: the hash is taken mod 2**64, as in shingle_hash
        h *= base
        h += cps[k:k + n]
    h ^= h >> np.uint64(30)
    h *= np.uint64(_MIX1)
    h ^= h >> np.uint64(27)
    h *= np.uint64(_MIX2)
    h ^= h >> np.uint64(31)
    return h


def shingle_hashes(text: str | None, size: int = SHINGLE) -> Any:
    """The text's shingle set as its sorted, distinct 64-bit hashes (a numpy array; empty when the text is
    shorter than MIN_CHARS): what :func:`hashed_jaccard` compares, 10x faster than :func:`shingles`."""
    import numpy as np

    norm = normalise(text)
    if len(norm) < MIN_CHARS:
        return np.empty(0, dtype=np.uint64)
    return np.unique(_shingle_hashes(norm, size))


def hashed_jaccard(a: Any, b: Any) -> float:
    """:func:`jaccard` of two shingle sets given as :func:`shingle_hashes` (the same value unless two
    different shingles share a 64-bit hash: about one chance in 10**13 for two 3,000-character bodies)."""
    import numpy as np

    if not a.size or not b.size:
        return 0.0
    inter = int(np.intersect1d(a, b, assume_unique=True).size)
    return inter / (a.size + b.size - inter)


def text_signature(text: str | None, size: int = SHINGLE) -> list[int]:
    """``signature(shingles(text, size))``, computed at once with numpy (empty when the text is too short)."""
    import numpy as np

    norm = normalise(text)
    if len(norm) < MIN_CHARS:
        return []
    h = _shingle_hashes(norm, size)
    sig = np.full(BINS, _EMPTY, dtype=np.uint64)
    np.minimum.at(sig, (h & np.uint64(BINS - 1)).astype(np.intp), h >> np.uint64(6))
    return _densify(sig.tolist())


def band_keys(sig: list[int]) -> list[int]:
    """One signed-63-bit integer per LSH band (SQLite INTEGER), distinct across bands."""
    keys = []
    for band in range(len(sig) // ROWS):
        part = sig[band * ROWS:(band + 1) * ROWS]
        data = band.to_bytes(2, "big") + b"".join(v.to_bytes(8, "big") for v in part)
        keys.append(_h64(data) & _MASK63)
    return keys


def lsh_keys(text: str | None) -> list[int]:
    """LSH band keys of a body (empty when it is too short to compare)."""
    return band_keys(text_signature(text))


def sketch(text: str | None) -> tuple[list[int], bytes]:
    """LSH band keys of a body and its signature packed as :data:`BINS` 32-bit values (what
    :func:`sketch_similarity` compares); both empty when the body is too short to compare."""
    sig = text_signature(text)
    return band_keys(sig), b"".join((v & 0xFFFFFFFF).to_bytes(4, "little") for v in sig)


def sketch_similarity(a: bytes, b: bytes) -> float:
    """The share of equal values of two packed signatures: an estimate of the Jaccard similarity of the
    bodies' shingle sets (0.0 when either is empty or they differ in length)."""
    if not a or len(a) != len(b):
        return 0.0
    same = sum(a[i:i + 4] == b[i:i + 4] for i in range(0, len(a), 4))
    return same / (len(a) // 4)


def earliest(rows: Iterable[tuple[str, str | None, str | None]]) -> str:
    """The url of the earliest copy among ``(url, published_at, first_seen_at)``.

    Ordered by publish time (rows without one last), then first-seen time, then url, so the choice is stable.
    """
    return min(rows, key=lambda r: (r[1] is None, r[1] or "", r[2] or "", r[0]))[0]
