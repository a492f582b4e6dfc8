"""The body container (Rules B1–B5 in ``docs/extraction.md``): text-density scoring of candidate containers.

Every block of text adds to its container a score from its length and its Chinese punctuation
(，。、；：？！); link-heavy blocks add nothing; the winner is penalised by its own link density and by a
boilerplate class/id (comment, footer, nav, related …), then trimmed to its best run of children.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from linfen_crawler.extract.body import BLOCK_TAGS, xpath_elements
from linfen_crawler.extract.byline import is_credit_line
from linfen_crawler.extract.tree import ORIGIN_ATTR, PUNCT_RE, SKIP_TAGS, class_and_id, is_inside, text_of
from linfen_crawler.extract.xpaths import BODY

__all__ = ["COMMENTS_ALTERNATIVE_MIN", "find_body_node", "is_unlikely", "own_text_blocks", "subtree_totals"]


#: class/id of containers that are never the article body
_UNLIKELY_RE = re.compile(
    r"comment|footer|foot\b|(?:^|[\s_-])nav|sidebar|side-?bar|aside|related|recommend|hot-?news|hotlist|"
    r"rank|share|copyright|breadcrumb|crumb|banner|advert|(?:^|[\s_-])ad(?:s|v)?(?:$|[\s_-])|menu|"
    r"login|subscribe|links?(?:$|[\s_-])|friend|popular|more-?news|guess|xgxw|xgyd|tuijian|pinglun",
    re.I,
)
# body-container words; ``con``/``txt`` only as whole tokens (``news_con``, ``art-txt``), never inside
# ``icon`` or ``container``. TRS_Editor and Custom_UnionStyle are the body classes of the TRS CMS that many
# government and local news sites run on.
_LIKELY_RE = re.compile(r"article|content|main|text|body|detail|entry|post|story|zhengwen|"
                        r"(?:^|[\s_-])(?:con|txt)(?:$|[\s_-])|TRS_Editor|Custom_UnionStyle", re.I)


def own_text_blocks(root: etree._Element) -> dict[etree._Element, list[int]]:
    """Per block element: [text length, link text length, punctuation count, br count] of its own text.

    Text inside inline elements counts for the nearest block ancestor; script/style/… subtrees count nothing.
    One pass in document order (parents are always seen before their children).
    """
    stats: dict[etree._Element, list[int]] = {}
    block_of: dict[etree._Element, etree._Element] = {}
    link_of: dict[etree._Element, bool] = {}
    skipped: set[etree._Element] = set()
    findall = PUNCT_RE.findall

    def add(owner: etree._Element, text: str, in_link: bool) -> None:
        t = text.strip()
        if not t:
            return
        row = stats.get(block_of[owner])
        if row is None:
            row = stats[block_of[owner]] = [0, 0, 0, 0]
        row[0] += len(t)
        if in_link:
            row[1] += len(t)
        row[2] += len(findall(t))

    for el in root.iter():
        tag = el.tag
        parent = el.getparent()
        if not isinstance(tag, str) or tag in SKIP_TAGS or (parent is not None and parent in skipped):
            skipped.add(el)
            if el.tail and parent is not None and parent not in skipped:
                add(parent, el.tail, link_of[parent])
            continue
        if tag in BLOCK_TAGS or parent is None:
            block_of[el] = el
        else:
            block_of[el] = block_of[parent]
        in_link = tag == "a" or (parent is not None and link_of[parent])
        link_of[el] = in_link
        if el.text:
            add(el, el.text, in_link)
        if parent is not None:
            if tag == "br":
                row = stats.setdefault(block_of[parent], [0, 0, 0, 0])
                row[3] += 1
            if el.tail:
                add(parent, el.tail, link_of[parent])
    return stats


def subtree_totals(
    root: etree._Element, stats: dict[etree._Element, list[int]]
) -> dict[etree._Element, tuple[int, int]]:
    """(text length, link text length) of the whole subtree of every element that has text in it, from the
    block stats; an element missing from the result has (0, 0)."""
    totals: dict[etree._Element, list[int]] = {}
    for el in reversed(list(root.iter())):  # descendants before ancestors
        acc = totals.get(el)
        row = stats.get(el)
        if row is not None and (row[0] or row[1]):
            if acc is None:
                acc = totals[el] = [0, 0]
            acc[0] += row[0]
            acc[1] += row[1]
        if acc is None:
            continue  # nothing to pass up (half the elements or more: no getparent for them)
        parent = el.getparent()
        if parent is not None:
            up = totals.get(parent)
            if up is None:
                totals[parent] = [acc[0], acc[1]]
            else:
                up[0] += acc[0]
                up[1] += acc[1]
    return {el: (t[0], t[1]) for el, t in totals.items()}


_CONTAINER_TAGS = frozenset(("div", "td", "section", "article", "main", "body", "center", "font", "span"))


def is_unlikely(el: etree._Element) -> bool:
    """Rule B2: class/id says comment, nav, footer, related, share … (and not article/content)."""
    tokens = class_and_id(el)
    return bool(_UNLIKELY_RE.search(tokens)) and not _LIKELY_RE.search(tokens)


#: Rule B5: class/id of a comment thread (and not of the article: ``article-comment`` is no thread)
_COMMENTS_RE = re.compile(r"comment|pinglun|replies|reply-?list|feedback", re.I)
#: the least score of a container taken instead of a comment thread (a few sentences of text)
COMMENTS_ALTERNATIVE_MIN = 10.0


def _is_comments(el: etree._Element) -> bool:
    tokens = class_and_id(el)
    return bool(_COMMENTS_RE.search(tokens)) and not _LIKELY_RE.search(tokens)


def _block_value(length: int, link_len: int, punct: int) -> float:
    """Score of one block of own text: 1 + punctuation + length/100 (≤ 3); link-heavy or tiny → 0."""
    plain = length - link_len
    if plain < 10 or link_len > 0.5 * length:
        return 0.0
    value = 1.0 + punct + min(plain / 100.0, 3.0)
    if length < 25 and punct == 0:
        value *= 0.3  # labels, captions and menu lines weigh little
    return value


def _score_containers(
    stats: dict[etree._Element, list[int]],
) -> dict[etree._Element, float]:
    """Readability-style scores: each text block adds to its container (and half to the next one up)."""
    scores: dict[etree._Element, float] = {}
    for block, (length, link_len, punct, brs) in stats.items():
        value = _block_value(length, link_len, punct)
        if not value:
            continue
        # text standing directly in a div/td split by <br> belongs to that container itself
        own = block.tag in _CONTAINER_TAGS and (brs >= 2 or length - link_len >= 200 or punct >= 5)
        first = block if own else block.getparent()
        if first is None:
            continue
        if is_unlikely(first):
            value /= 4.0  # B2 applies to what the container passes up as well
        scores[first] = scores.get(first, 0.0) + value
        second = first.getparent()
        if second is not None:
            scores[second] = scores.get(second, 0.0) + value * 0.5
    return scores


def _child_weight(child: etree._Element, stats: dict[etree._Element, list[int]]) -> float:
    """Weight of one child of the body container: text value minus 1 per text block and link text / 10."""
    weight = 0.0
    for el in child.iter():
        row = stats.get(el)
        if row is None:
            continue
        length, link_len, punct, _ = row
        if length - link_len < 40 and is_credit_line(text_of(el)):
            weight += 1.5  # 来源/编辑 lines close the article: keep them in the run
            continue
        weight += _block_value(length, link_len, punct) - 1.0 - link_len / 10.0
    return weight


def _trim(container: etree._Element, stats: dict[etree._Element, list[int]]) -> etree._Element:
    """Rule B4: keep the best-scoring contiguous run of the container's children (Kadane's algorithm).

    Old table layouts put headline, paragraphs, related links and ads side by side in one cell; the run of
    children with the highest summed weight is the article. One child → that child; the whole container
    → the container; otherwise a detached ``<div>`` holding copies of the run, whose ``data-linfen-origin``
    attribute is the path of the run's first child in the page (used by ``find_meta_text``).
    """
    row = stats.get(container)
    if row is not None and row[0] - row[1] >= 50:
        return container  # the container holds text of its own: keep it whole
    children = [c for c in container if isinstance(c.tag, str)]
    if len(children) < 2:
        return container
    weights = [_child_weight(c, stats) for c in children]
    best_sum, best_span = 0.0, (0, len(children) - 1)
    run_sum, run_start = 0.0, 0
    for i, w in enumerate(weights):
        if run_sum <= 0:
            run_sum, run_start = w, i
        else:
            run_sum += w
        if run_sum > best_sum:
            best_sum, best_span = run_sum, (run_start, i)
    start, end = best_span
    if start == 0 and end == len(children) - 1:
        return container
    dropped = sum(w for i, w in enumerate(weights) if (i < start or i > end) and w < 0)
    if dropped > -5.0:
        return container  # nothing much outside the run: keep the whole container
    if start == end:
        return children[start]
    synthetic = etree.Element("div")
    synthetic.set(ORIGIN_ATTR, container.getroottree().getpath(children[start]))
    for child in children[start : end + 1]:
        clone = copy.deepcopy(child)
        synthetic.append(clone)
    return synthetic


def find_body_node(doc: etree._Element, title_node: etree._Element | None) -> etree._Element | None:
    """The element that holds the article text.

    Rule B1: text density — blocks of text score 1 + punctuation count + length/100 (≤ 3) for their
    container (half for the container above); blocks with < 10 characters of non-link text or more than half
    link text score nothing. Rule B2: a container's final score is multiplied by (1 - link density) and
    divided by 4 when its class/id says comment, nav, footer, related, share …. Rule B3: the headline's own
    ancestors are avoided when a container without the headline scores at least half as much.
    """
    stats = own_text_blocks(doc)
    scores = _score_containers(stats)
    if not scores:
        bodies = xpath_elements(BODY, doc)
        return bodies[0] if bodies else None
    totals = subtree_totals(doc, stats)
    ranked: list[tuple[float, etree._Element]] = []
    for el, score in scores.items():
        if not isinstance(el.tag, str) or el.tag in ("html", "head"):
            continue
        total, links = totals.get(el, (0, 0))
        final = score * (1.0 - (links / total if total else 1.0))
        ranked.append((final, el))
    if not ranked:
        return None
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    best_score, best = ranked[0]
    if _is_comments(best):  # Rule B5: a long comment thread is never the article
        for score, el in ranked[1:]:
            if score < COMMENTS_ALTERNATIVE_MIN:
                break
            if not _is_comments(el) and not is_inside(el, best) and not is_inside(best, el):
                best_score, best = score, el
                break
    if title_node is not None and is_inside(title_node, best):
        for score, el in ranked[1:]:
            if score < best_score * 0.5:
                break
            if not is_inside(title_node, el) and is_inside(el, best):
                best = el
                break
    return _trim(best, stats)
