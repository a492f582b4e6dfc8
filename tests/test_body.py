"""body_blocks: container -> cleaned paragraphs and images (table-driven)."""

from __future__ import annotations

import json

import lxml.html
import pytest
from conftest import SHARED
from lxml import etree

from linfen_crawler.extract.body import Image, body_blocks, is_boilerplate_text, is_end_notice

BASE = "http://www.lfxww.com/linfen/djll/93512.html"


def _blocks(html: str, drop: tuple[str, ...] = ()) -> tuple[list[str], list[Image]]:
    node = lxml.html.fragment_fromstring(html, create_parent="div")
    return body_blocks(node, BASE, [etree.XPath(x) for x in drop])


PARAGRAPH_CASES = [
    # one paragraph per block, full-width folded, U+3000 indent trimmed
    ("<p>　　第一段，内容。</p><p>第二段</p>", ["第一段,内容。", "第二段"]),
    # <br>-separated lines inside one block
    ("<p>甲行<br>乙行<br/><br>丙行</p>", ["甲行", "乙行", "丙行"]),
    # inline text joined into one paragraph
    ("<p>今天<b>临汾</b>下<a href='/x'>雨</a>了</p>", ["今天临汾下雨了"]),
    # loose text around blocks becomes paragraphs of its own
    ("开头文字<div>中间</div>结尾文字", ["开头文字", "中间", "结尾文字"]),
    # empty and whitespace-only blocks vanish
    ("<p>&nbsp;</p><p>　</p><p>正文</p>", ["正文"]),
    # scripts, styles, forms, comments removed; tail text kept
    ("<p>前<script>var a=1;</script>后</p><!-- c --><style>p{}</style><form>搜索</form>", ["前后"]),
    # share boxes
    ("<p>正文</p><div class='bdsharebuttonbox'><a>分享到：</a><a>微信</a></div>", ["正文"]),
    # font-size and print controls
    ("<div class='fs'>字号：<a>大</a> <a>中</a> <a>小</a></div><p>正文</p>", ["正文"]),
    ("<p>正文</p><p>【打印本页】【关闭窗口】</p>", ["正文"]),
    # pagination
    ("<p>正文</p><div>上一页 1 2 3 下一页</div>", ["正文"]),
    ("<p>正文</p><div class='pages'><a>1</a><a>2</a></div>", ["正文"]),
    # prev/next article links
    ("<p>正文</p><p>上一篇：<a href='/1.html'>某某新闻标题</a></p>", ["正文"]),
    # related lists, with the heading inside or before the list
    ("<p>正文</p><div><h4>相关新闻</h4><ul><li><a>甲新闻标题很长</a></li></ul></div>", ["正文"]),
    ("<p>正文</p><h4>相关阅读</h4><ul><li><a>甲新闻标题</a></li><li><a>乙新闻</a></li></ul>", ["正文"]),
    # hidden nodes
    ("<p>正文</p><p style='display:none'>隐藏</p>", ["正文"]),
    # subheadings and list items are paragraphs
    ("<h3>一、小标题</h3><ul><li>第一项</li><li>第二项</li></ul>", ["一、小标题", "第一项", "第二项"]),
    # a paragraph that merely mentions 打印 or 上一页 stays
    ("<p>他打印了文件，又翻到上一页继续读。</p>", ["他打印了文件,又翻到上一页继续读。"]),
    # table cells
    ("<table><tr><td>单元一</td><td>单元二</td></tr></table>", ["单元一", "单元二"]),
    # a pager-looking class (page_text) on a block that holds a sentence is no pager
    ("<div class='page_text'>县里开通了新桥。两岸群众出行方便了。</div>", ["县里开通了新桥。两岸群众出行方便了。"]),
    # a paragraph made only of U+FFFD (bytes the page's encoding lost) carries no text
    ("<p>正文</p><p>\ufffd\ufffd\ufffd</p><p>尾\ufffd段</p>", ["正文", "尾\ufffd段"]),
]


@pytest.mark.parametrize(("html", "expected"), PARAGRAPH_CASES)
def test_paragraphs(html: str, expected: list[str]) -> None:
    assert _blocks(html)[0] == expected


def test_drop_xpaths_are_applied() -> None:
    html = "<p>正文</p><div class='editor'>责任编辑：某某</div>"
    assert _blocks(html, ("//div[@class='editor']",))[0] == ["正文"]


IMAGE_CASES = [
    # absolute URL, caption from figcaption (kept as a paragraph too)
    (
        "<figure><img src='/a.jpg'><figcaption>图为现场</figcaption></figure><p>正文</p>",
        [Image("http://www.lfxww.com/a.jpg", "图为现场")],
        ["图为现场", "正文"],
    ),
    # lazy-load attribute wins over a placeholder src
    (
        "<p><img data-src='http://img.example.cn/b.png' src='data:image/gif;base64,R0'></p>",
        [Image("http://img.example.cn/b.png", None)],
        [],
    ),
    (
        "<p><img data-original='c.jpg'></p>",
        [Image("http://www.lfxww.com/linfen/djll/c.jpg", None)],
        [],
    ),
    # a short centred paragraph right after the image is its caption
    (
        "<p align='center'><img src='/d.jpg'></p><p style='text-align: center'>市民在广场观看演出</p>"
        "<p>正文很长很长。</p>",
        [Image("http://www.lfxww.com/d.jpg", "市民在广场观看演出")],
        ["市民在广场观看演出", "正文很长很长。"],
    ),
    # caption text in the same block after a <br>
    (
        "<p><img src='/e.jpg'><br>图为志愿者服务现场</p>",
        [Image("http://www.lfxww.com/e.jpg", "图为志愿者服务现场")],
        ["图为志愿者服务现场"],
    ),
    # an ordinary paragraph after an image is not a caption
    (
        "<p><img src='/f.jpg'></p><p>本报讯 记者从市政府获悉，全市经济运行平稳，各项指标稳中有进，"
        "群众获得感不断增强，这是一段足够长的正文段落，不会被当作图片说明。</p>",
        [Image("http://www.lfxww.com/f.jpg", None)],
        None,
    ),
]


@pytest.mark.parametrize(("html", "images", "paragraphs"), IMAGE_CASES)
def test_images(html: str, images: list[Image], paragraphs: list[str] | None) -> None:
    paras, imgs = _blocks(html)
    assert imgs == images
    if paragraphs is not None:
        assert paras == paragraphs


BOILERPLATE_CASES = [
    ("字号：大 中 小", True),
    ("【字体：大 中 小】", True),
    ("打印本页", True),
    ("上一页 1 2 3 下一页", True),
    ("共3页 首页 上一页 1 2 3 下一页 尾页", True),
    ("上一篇：市三届党代会胜利闭幕", True),
    ("他打印了文件", False),
    ("大中小企业协同发展", False),
    ("2023年第3页的内容", False),
]


@pytest.mark.parametrize(("text", "expected"), BOILERPLATE_CASES)
def test_is_boilerplate_text(text: str, expected: bool) -> None:
    assert is_boilerplate_text(text) is expected


def test_caller_tree_untouched() -> None:
    doc = lxml.html.fromstring("<div><p>正文</p><script>x</script><div class='share'>分享</div></div>")
    before = lxml.html.tostring(doc)
    body_blocks(doc, BASE)
    assert lxml.html.tostring(doc) == before


@pytest.mark.skipif(not (SHARED / "seed-page.html").exists(), reason="../shared/seed-page.html not present")
def test_seed_page_body() -> None:
    html = (SHARED / "seed-page.html").read_bytes().decode("gb18030")
    doc = lxml.html.fromstring(html)
    node = next(el for el in doc.iter("div") if "jcontent" in (el.get("class") or ""))
    paras, images = body_blocks(node, BASE)
    expected = json.loads((SHARED / "seed-article.expected.json").read_text("utf-8"))["body"].split("\n")
    assert paras == [*expected, "【责任编辑: 付基恒】"]
    assert images == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an end mark or a reprint notice under the text (invented examples)
        ("- THE END -", True),
        ("— END —", True),
        ("END", True),
        ("【end】", True),
        ("转载请注明出处：河东周刊", True),
        ("转载请联系作者获得授权", True),
        ("未经授权，禁止转载", True),
        ("本文系河东周刊原创，转载请注明来源", True),
        # kept
        ("（完）", False),
        ("The end of an era for the old bridge", False),
        ("他说，转载请注明出处这句话很多人不看。" + "桥" * 60, False),
        ("网友转载请注明出处的做法值得提倡。", False),
        # sentences that only open like a notice
        ("未经许可不得转载是基本的版权常识。", False),
        ("转载请注明出处，这是网络写作的基本礼仪。", False),
        ("未经授权，禁止转载他人作品的规定早已写进条例。", False),
        ("转载请联系作者，他说这件事还要再想想。", False),
        # whole-paragraph notices with their closing marks
        ("未经授权，禁止转载。违者必究！", True),
        ("【转载请注明来源：河东周刊】", True),
        ("", False),
    ],
)
def test_is_end_notice(text: str, expected: bool) -> None:
    assert is_end_notice(text) is expected
