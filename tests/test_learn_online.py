"""Site learning while a site is crawled (extract/learn.py: SiteLearner, LazySite) and its kept state.

Invented pages of one table template: an empty ``<title>``, the headline in a plain cell (the page alone
gives no headline), a crumb line naming the site on every page. ``page(i)`` is the ``i``-th article.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linfen_crawler.extract import learn
from linfen_crawler.extract.article import extract_page
from linfen_crawler.extract.learn import (
    MIN_PAGES,
    STATE_VERSION,
    WARMUP,
    LazySite,
    SiteLearner,
    SiteState,
    extract_site,
    learn_site,
)
from linfen_crawler.storage import Dataset

PLACES = ["城东新区", "南湖公园", "第一中学", "人民医院", "高速南段", "老街片区", "北山林场", "西河大桥", "火车站前",
          "体育中心"]
EVENTS = ["春季植树活动启动", "便民服务中心开门迎客", "举行消防安全演练", "完成道路改造工程", "开展义诊进社区活动",
          "迎来首批游客参观"]
HEADLINES = [f"{place}{event}" for event in EVENTS for place in PLACES]


def page(i: int, *, photo: bool = False) -> str:
    """Article ``i``: the headline in a plain cell, the date and the site as source in a meta cell, the site's
    name in the crumbs of every page. ``photo``: another template (a gallery), for the template tests."""
    h = HEADLINES[i]
    text = (f"<p>记者从有关部门获悉，{h}一事受到市民广泛关注，现场秩序井然，参与群众纷纷点赞。</p>"
            f"<p>据介绍，{h}相关工作自今年年初启动，第{i + 1}项任务已经全部落实到位。</p>")
    if photo:
        return (f"<html><head><title></title></head><body><div class='gallery'><h2 class='pt'>{h}</h2>"
                f"<ul class='slides'><li><img src='{i}.jpg'></li></ul><div class='caption'>{text}</div></div>"
                "</body></html>")
    return ("<html><head><title></title></head><body>"
            '<div class="crumbs"><a href="/">示例市新闻网</a> &gt; <a href="/bd/">本地新闻</a></div>'
            f"<table><tr><td>{h}</td></tr>"
            f'<tr><td class="info">2023-05-{i % 28 + 1:02d} 08:30 来源：示例市新闻网</td></tr>'
            f'<tr><td class="bd">{text}</td></tr></table>'
            '<div class="foot">版权所有 示例市新闻网 联系电话：0000-1234567</div></body></html>')


def url(i: int) -> str:
    return f"http://news.example.cn/a/{1000 + i}.html"


def feed(learner: SiteLearner, indexes: range, **kw: Any) -> list[dict[str, Any]]:
    """Extract pages as the spider does: sampled when the learner wants, with what it learned so far."""
    out = []
    for i in indexes:
        trace: dict[str, Any] | None = {} if learner.wants() else None
        record = extract_page(page(i, **kw), url(i), site=learner.site, trace=trace)
        if trace is not None:
            learner.add(record, trace)
        out.append(dict(record))
    return out


def test_the_site_name_in_every_pages_crumbs_stays_the_source_of_its_meta_line() -> None:
    """The crumb link 示例市新闻网 is template text; the same name after 来源： in each page's own meta line is
    the source still (before, learning dropped it: the demo's records changed)."""
    pages = [(page(i), url(i)) for i in range(5)]
    assert {extract_page(h, u)["source"] for h, u in pages} == {"示例市新闻网"}
    state, records = extract_site(pages)
    assert ("/html/body/div.crumbs/a", "示例市新闻网") in state.templates[0].template_text
    assert [r["source"] for r in records] == ["示例市新闻网"] * 5
    assert [r["title"] for r in records] == HEADLINES[:5]


def test_the_learner_learns_after_a_first_batch_and_later_pages_benefit() -> None:
    learner = SiteLearner(sample_size=30, every=200)
    records = feed(learner, range(WARMUP + 5))
    # before learning: as the page alone gives it (no headline); from the first batch on, learned
    assert [r["title"] for r in records[:WARMUP]] == [None] * WARMUP
    assert [r["title"] for r in records[WARMUP:]] == HEADLINES[WARMUP:WARMUP + 5]
    assert all(r["extractor"]["title"] == "learned" for r in records[WARMUP:])
    assert learner.generation == 1
    assert learner.state.templates[0].fields["title"].path == "/html/body/table/tr/td"


def test_the_sample_is_bounded_and_thinned_once_full() -> None:
    """Every page until the sample is full, then one page in every // sample_size; learned again after a
    full sample's worth of new pages."""
    learner = SiteLearner(sample_size=5, every=20)
    feed(learner, range(5))
    assert len(learner.samples) == 5 and learner.generation == 1  # full: learned (no WARMUP batch of 10 yet)
    feed(learner, range(5, 25))
    assert len(learner.samples) == 5  # bounded
    assert learner.pages == 25
    # pages 6..25: one in four sampled (20 // 5), so 5 new samples: learned again once
    assert learner.generation == 2


def test_a_loaded_state_is_used_at_once_and_replaced_only_from_a_full_sample() -> None:
    kept = learn_site([(page(i), url(i)) for i in range(5)])
    learner = SiteLearner(sample_size=20, every=200)
    learner.load(kept)
    records = feed(learner, range(30, 30 + WARMUP + 5))
    assert [r["title"] for r in records] == HEADLINES[30:30 + WARMUP + 5]  # from the first page
    assert learner.generation == 0  # no warm-up learning over a loaded state
    feed(learner, range(45, 50))
    assert learner.generation == 1 and learner.state.templates[0].pages == 20


def test_relearning_keeps_older_templates_no_new_one_resembles() -> None:
    learner = SiteLearner(sample_size=5, every=5)
    learner.load(learn_site([(page(i, photo=True), url(i)) for i in range(5)]))
    feed(learner, range(10, 15))  # the table template only
    shapes = [sorted(t.skeleton)[-1] for t in learner.state.templates]
    assert len(learner.state.templates) == 2 and any("gallery" in s for s in shapes)


def test_lazy_site_gives_the_states_records_and_reads_a_tree_only_when_asked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    state = learn_site([(page(i), url(i)) for i in range(5)])
    pages = [(page(i), url(i)) for i in range(5, 12)] + [(page(3, photo=True), url(3))]
    assert [extract_page(h, u, site=LazySite(state)) for h, u in pages] == \
        [extract_page(h, u, site=state) for h, u in pages]
    # a page whose own evidence suffices (its <title> names its headline, its source is no template text,
    # no field it lacks has a learned place) needs no hints: its tree is not walked again; a page without
    # a headline is
    made: list[object] = []

    class Counting(learn.PathIndex):
        def __init__(self, doc: Any) -> None:
            made.append(doc)
            super().__init__(doc)

    monkeypatch.setattr(learn, "PathIndex", Counting)
    lazy = LazySite(state)
    own = page(5).replace("<title></title>", f"<title>{HEADLINES[5]}</title>").replace("来源：示例市新闻网",
                                                                                      "来源：示例日报")
    record = extract_page(own, url(5), site=lazy)
    assert (record["title"], record["source"], made) == (HEADLINES[5], "示例日报", [])
    assert extract_page(page(5), url(5), site=lazy)["title"] == HEADLINES[5] and len(made) == 1


def test_state_round_trips_with_its_version_and_refuses_another() -> None:
    state = learn_site([(page(i), url(i)) for i in range(MIN_PAGES)])
    data = json.loads(json.dumps(state.to_dict(), ensure_ascii=False))
    assert data["version"] == STATE_VERSION and SiteState.from_dict(data) == state
    with pytest.raises(ValueError, match="format 99"):
        SiteState.from_dict({**data, "version": 99})


def test_dataset_keeps_one_state_per_site(tmp_path: Path) -> None:
    with Dataset(tmp_path / "d.db") as ds:
        assert ds.load_site_state("shili") is None
        ds.save_site_state("shili", 1, '{"templates": []}', 3)
        ds.save_site_state("shili", 1, '{"templates": [1]}', 5)
        ds.save_site_state("other", 1, "{}", 1)
        assert ds.load_site_state("shili") == (1, '{"templates": [1]}')
        assert ds.conn.execute("SELECT count(*) FROM site_state").fetchone()[0] == 2


def test_learning_never_leaves_a_page_worse_than_it_alone() -> None:
    """Pages that share their whole body, and whose only headline is the site's name in <title>: that is all
    template text, but with nothing of the page's own in its place, the page keeps what it gives alone
    (before, the body and the headline were dropped, and the crawl rejected every page as no_body)."""
    same = "<p>本站所有稿件均为示例内容，仅用于测试网页模板的识别，请勿转载。</p><p>示例市新闻网编辑部敬上。</p>"
    pages = []
    for i in range(5):
        html = page(i).replace("<title></title>", "<title>示例市新闻网</title>")
        html = html.replace(f"<tr><td>{HEADLINES[i]}</td></tr>", "")
        start, end = html.index('<td class="bd">') + len('<td class="bd">'), html.index("</td></tr></table>")
        pages.append((html[:start] + same + html[end:], url(i)))
    alone = [extract_page(h, u) for h, u in pages]
    assert {r["title"] for r in alone} == {"示例市新闻网"} and all(r["body"] for r in alone)
    state, records = extract_site(pages)
    assert ("/html/head/title", "示例市新闻网") in state.templates[0].template_text
    assert [(r["title"], r["body"]) for r in records] == [(r["title"], r["body"]) for r in alone]
