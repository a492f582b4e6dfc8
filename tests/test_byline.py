"""Table-driven tests of linfen_crawler.extract.byline: one row per real form of credit line."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from replaced import PLAIN_LABEL_RE

from linfen_crawler.extract import byline
from linfen_crawler.extract.byline import (
    Byline,
    bare_names,
    byline_paragraph,
    caption_credit,
    finalize_people,
    is_credit_line,
    is_placeholder_name,
    lead_byline,
    parse_byline,
    trailing_byline,
)

B = Byline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # meta lines beside the date
        ("2011-10-15 10:19:00　来源：临汾新闻网　　浏览次数：", B("临汾新闻网")),  # the seed page
        ("2017-12-30 09:23:58 来源：临汾新闻网 浏览次数：", B("临汾新闻网")),
        ("来源：临汾日报", B("临汾日报")),
        ("来源:临汾日报", B("临汾日报")),
        ("来源：临汾日报 作者：张三 浏览次数：12", B("临汾日报", ["张三"])),
        ("来源：太原晚报 2021-11-25 16:26:07", B("太原晚报")),
        # a label glued inside the outlet's name is part of it; a spaced one starts a field
        ("来源：河东记者网 作者：钱海", B("河东记者网", ["钱海"])),
        ("来源:河东编辑部网", B("河东编辑部网")),
        ("来源:河东新闻网 记者 孙雷", B("河东新闻网", ["孙雷"])),
        ("来源：[ 人民网 ]", B("人民网")),
        ("BUSINESS.SOHU.COM 2004年7月16日08:19 [ 黄宇 ] 来源：[ 国际金融报 ]", B("国际金融报")),
        ("出处：快科技 作者：宪瑞 编辑：宪瑞", B("快科技", ["宪瑞"], ["宪瑞"])),
        ("2020-11-23 10:22:14 出处:快科技 作者:宪瑞 编辑:宪瑞 人气: 5380 次 评论(18)", B("快科技", ["宪瑞"], ["宪瑞"])),
        ("发表于2014-08-24 21:30| 来源CSDN| 0 条评论| 作者魏星", B("CSDN", ["魏星"])),
        ("稿源：山西日报", B("山西日报")),
        ("转自《北京科技报》", B("北京科技报")),
        ("信息来源: 中国空间技术研究院、中国运载火箭技术研究院等", B("中国空间技术研究院、中国运载火箭技术研究院等")),
        ("来源：澎湃新闻·澎湃号·政务", B("澎湃新闻·澎湃号·政务")),
        # generic sources credit no outlet
        ("来源：网络", B()),
        ("2015-11-05 阅读：8169 来源:转载 作者:孙仲旻", B(None, ["孙仲旻"])),
        ("报纸网 |发布: 2021-1-29 13:18|点击: 313|来自: 互联网", B()),
        ("来源：本站原创", B()),
        ("来源于网络", B()),
        # writers
        ("作者：张三", B(None, ["张三"])),
        ("记者 王长波", B(None, ["王长波"])),
        ("本报记者 张三 李四", B(None, ["张三", "李四"])),
        ("文/张三 图/李四", B(None, ["张三", "李四"])),
        ("记者 王长波 通讯员 李四", B(None, ["王长波", "李四"])),
        ("记者王长波通讯员李四", B(None, ["王长波", "李四"])),
        ("光明日报记者 王建宏 张文攀", B(None, ["王建宏", "张文攀"])),
        ("本报记者罗科苏盈发自北京", B(None, ["罗科苏盈"])),
        ("顶端新闻·河南商报记者马俊峰/文受访者供图", B(None, ["马俊峰"])),
        ("采写:南都见习记者 林子沛", B(None, ["林子沛"])),
        ("整合 新华日报·交汇点记者 徐睿翔", B(None, ["徐睿翔"])),
        ("作者:宋怡 杨志华", B(None, ["宋怡", "杨志华"])),
        ("作者： 周思博 (Joel Spolsky) 译: Chen Bin", B(None, ["周思博"])),
        ("记者 王 伟", B(None, ["王伟"])),  # a two-character name padded with a space
        ("记者 张三、李四", B(None, ["张三", "李四"])),
        ("记者 张三，李四", B(None, ["张三", "李四"])),
        ("记者 张三和李四", B(None, ["张三", "李四"])),
        ("记者 张三及李四", B(None, ["张三", "李四"])),
        ("作者：王和平", B(None, ["王和平"])),  # 和 inside a name does not split it
        ("作者：买买提·艾力", B(None, ["买买提·艾力"])),
        ("(作者系市直工委副书记 王文生)", B(None, ["王文生"])),
        ("【文/观察者网专栏作者 王文】", B(None, ["王文"])),
        # photo credits
        ("图片来源:每经记者 张蕊 摄", B(None, ["张蕊"])),
        ("城市摄影队 周斌 摄", B(None, ["周斌"])),
        ("通讯员刘娟 摄", B(None, ["刘娟"])),
        ("刘通摄", B(None, ["刘通"])),
        ("摄影：李四", B(None, ["李四"])),
        # editors
        ("【责任编辑：付基恒】", B(None, [], ["付基恒"])),
        ("　　【责任编辑: 付基恒】", B(None, [], ["付基恒"])),  # the seed page
        ("责任编辑:临汾新闻网编辑", B()),  # the seed page's template line names nobody
        ("编辑：李四", B(None, [], ["李四"])),
        ("责编：王五", B(None, [], ["王五"])),
        ("校对：赵六", B(None, [], ["赵六"])),
        ("审核：钱七", B(None, [], ["钱七"])),
        ("值班编辑：孙八 终审：周九", B(None, [], ["孙八", "周九"])),
        ("编辑 刘晓阳 校对 李铭", B(None, [], ["刘晓阳", "李铭"])),
        ("责任编辑:李跃群校对:刘威", B(None, [], ["李跃群", "刘威"])),
        ("编辑|禤志杰责编|陈梦莹校对|黄慧敏", B(None, [], ["禤志杰", "陈梦莹", "黄慧敏"])),
        ("责任编辑：杨倩_NF4425", B(None, [], ["杨倩"])),
        ("责任编辑:史建磊_NBJ11331", B(None, [], ["史建磊"])),
        ("( 责任编辑:魏喆 )", B(None, [], ["魏喆"])),
        ("(松花江网编辑 孙桂芳)", B(None, [], ["孙桂芳"])),
        ("51offer编辑：Alice", B(None, [], ["Alice"])),
        ("责编：Demi Xia (综合整理自澎湃新闻、智东西)", B(None, [], ["Demi Xia"])),
        ("来源:新闻晨报 编辑:山石 相关报道:", B("新闻晨报", [], ["山石"])),
        ("来源:巴彦淖尔日报 编辑:苏亮", B("巴彦淖尔日报", [], ["苏亮"])),
        ("作者：未知 责任编辑：棒棒不是糖", B(None, [], ["棒棒不是糖"])),
        # placeholders name nobody
        ("时间：2019-09-25 作者：网络整理", B()),
        ("作者：佚名", B()),
        ("作者：本报记者", B()),
        ("编辑：系统管理员", B()),
        ("作者：admin", B()),
        ("来源：临汾新闻网 作者：临汾新闻网记者", B("临汾新闻网")),
        # running text that only mentions a role names nobody
        ("他是一名编辑。", B()),
        ("据记者采访了解,骏威客车是生产大客车的生产企业。", B()),
        ("经记者查实,这则新闻的主角并不是教师,现已退休。", B()),
        ("苹果公司9日对记者表示,大多数指控都是错误的。", B()),
        ("记者调查", B()),
        ("-- 给编辑写信", B()),
        ("■该作者文章", B()),
        ("作者最新文章", B()),
        ("本文仅代表作者个人观点。", B()),
        ("香港市民怒斥记者:中国是我的国家", B()),
        ("第A04版:小记者训练营", B()),
        ("", B()),
    ],
)
def test_parse_byline(text: str, expected: Byline) -> None:
    assert parse_byline(text) == expected


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("临汾新闻网讯 （记者 王长波 通讯员 李四）昨日，市委召开会议。", B(None, ["王长波", "李四"])),
        ("临汾新闻网讯 （记者 王长波）昨日，市委召开会议。", B(None, ["王长波"])),
        ("本报讯（记者 张三）近日，", B(None, ["张三"])),
        ("新华社北京3月5日电（记者 张三、李四）", B(None, ["张三", "李四"])),
        ("长江网10月4日讯(记者陈智 整合) 国庆中秋长假过半，", B(None, ["陈智"])),
        ("新京报讯(记者 陆一夫)11月25日，新京报记者登录京东", B(None, ["陆一夫"])),
        ("【文/观察者网专栏作者 王文】华坚鞋业生产车间", B(None, ["王文"])),
        ("光明日报记者 王建宏 张文攀", B(None, ["王建宏", "张文攀"])),
        ("本报记者罗科苏盈发自北京", B(None, ["罗科苏盈"])),
        ("记者调查", B()),
        ("今天（5日）上午，市里召开会议。", B()),
        ("市委书记（兼市长）张三出席会议。", B()),
        (
            "市委召开常委会议，研究部署下一阶段的重点工作。会议强调，要坚持稳中求进的工作总基调，"
            "扎实推进各项工作，确保全年目标任务顺利完成（记者 张三）",
            B(),
        ),  # a bracket past the first 60 characters is not a lead byline
    ],
)
def test_lead_byline(paragraph: str, expected: Byline) -> None:
    assert lead_byline(paragraph) == expected


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("　　（作者系市直工委副书记 王文生）", B(None, ["王文生"])),  # the seed page
        ("（张巨峰）", B(None, ["张巨峰"])),
        ("(袁源)", B(None, ["袁源"])),
        ("过一个平安、祥和、温馨、廉洁的新春佳节。(常书香 马丹阳 )", B(None, ["常书香", "马丹阳"])),
        ("所有的改革难道不都是利益再分配的过程吗?”(姚峰 上海报道)", B(None, ["姚峰"])),
        ("（刘通 摄）", B(None, ["刘通"])),
        ("（刘通摄）", B(None, ["刘通"])),
        ("（作者单位：临汾市委党校）", B()),
        ("文/图 张三", B(None, ["张三"])),
        ("记者 刘涛", B(None, ["刘涛"])),
        ("新京报记者 陆一夫", B(None, ["陆一夫"])),
        ("采写:南都见习记者 林子沛", B(None, ["林子沛"])),
        ("【责任编辑: 付基恒】", B(None, [], ["付基恒"])),
        # ordinary closing text names nobody
        ("（应受访者要求，文中张严为化名。）", B()),
        ("（完）", B()),
        ("（待续）", B()),
        ("（一等奖）", B()),
        ("全市经济稳步增长。（新华社）", B()),
        ("（原题为《共享充电宝涨价》）", B()),
        ("这是一段普通的文字，没有署名。", B()),
        ("感谢阅读", B()),
        ("", B()),
    ],
)
def test_trailing_byline(paragraph: str, expected: Byline) -> None:
    assert trailing_byline(paragraph) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("&nbsp;&nbsp;【责任编辑: 付基恒】".replace("&nbsp;", "\u00a0"), True),  # the seed page
        ("责任编辑:临汾新闻网编辑", True),
        ("【责任编辑：付基恒】", True),
        ("责任编辑：张三", True),
        ("编辑：李四", True),
        ("责编：王五", True),
        ("校对：赵六", True),
        ("审核：钱七", True),
        ("(编辑 张三)", True),
        ("（编辑 张三）", True),
        ("[责任编辑:李曦_NN2587]", True),
        ("( 责任编辑:魏喆 )", True),
        ("来源：临汾日报", True),
        ("来源：网络", True),
        ("来源:巴彦淖尔日报 编辑:苏亮", True),
        ("编辑 刘晓阳 校对 李铭", True),
        ("责编:Demi Xia", True),
        ("本文来源：河东晚报 责任编辑：钱海_AB1234", True),  # 本文 before the first label
        ("本文编辑：钱海", True),
        # kept in the body
        ("本文来源于群众的真实故事。", False),
        ("（作者系市直工委副书记 王文生）", False),
        ("临汾新闻网讯 （记者 王长波）昨日，市委召开会议。", False),
        ("记者 刘涛", False),
        ("图片来源:每经记者 张蕊 摄", False),
        ("他是一名编辑。", False),
        ("编辑部的故事很好看。", False),
        ("审核 通过后，方可发布。", False),
        ("来源于群众，服务于群众。", False),
        ("编辑：" + "很长" * 30, False),
        ("", False),
    ],
)
def test_is_credit_line(line: str, expected: bool) -> None:
    assert is_credit_line(line) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("未知", True),
        ("佚名", True),
        ("本报记者", True),
        ("本网记者", True),
        ("网络整理", True),
        ("临汾新闻网编辑", True),
        ("运城新闻网记者", True),
        ("系统管理员", True),
        ("管理员", True),
        ("admin", True),
        ("Administrator", True),
        ("", True),
        ("王文生", False),
        ("付基恒", False),
        ("Alice", False),
        ("棒棒不是糖", False),
    ],
)
def test_is_placeholder_name(name: str, expected: bool) -> None:
    assert is_placeholder_name(name) is expected


@pytest.mark.parametrize(
    ("authors", "editors", "expected"),
    [
        (["王文生"], ["付基恒"], (["王文生"], ["付基恒"])),
        (["杨倩_NF4425", "杨倩"], [], (["杨倩"], [])),
        (["本报记者", "张三", "未知", "张三"], ["临汾新闻网编辑", "系统管理员", "admin"], (["张三"], [])),
        (["王 伟"], ["　李四 "], (["王伟"], ["李四"])),
        (["宪瑞"], ["宪瑞"], (["宪瑞"], ["宪瑞"])),  # shown as both: stays in both
        ([], [], ([], [])),
    ],
)
def test_finalize_people(authors: list[str], editors: list[str], expected: tuple[list[str], list[str]]) -> None:
    assert finalize_people(authors, editors) == expected


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (B("临汾新闻网"), B("临汾日报", ["张三"]), B("临汾新闻网", ["张三"])),
        (B(None, ["张三"]), B("临汾日报", ["李四", "张三"], ["王五"]), B("临汾日报", ["张三", "李四"], ["王五"])),
        (B(None, [], ["付基恒"]), B(None, [], ["付基恒"]), B(None, [], ["付基恒"])),
        (B(), B(), B()),
    ],
)
def test_merge(first: Byline, second: Byline, expected: Byline) -> None:
    assert first.merge(second) == expected


def test_merge_does_not_mutate() -> None:
    first, second = B(None, ["张三"]), B(None, ["李四"])
    first.merge(second)
    assert first == B(None, ["张三"]) and second == B(None, ["李四"])


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        # a caption closed by a photo credit: the names after the last sentence mark and role word
        ("新桥通车当天。河东摄影协会 孙雷 摄", ["孙雷"]),
        ("航拍画面,通讯员周琪 摄", ["周琪"]),
        ("河口湿地秋色。河东日报记者 钱海 摄", ["钱海"]),
        ("图片来源:河东日报记者 钱海 摄", ["钱海"]),
        ("▲河东晚报全媒体摄影记者钱海、孙雷摄", ["钱海", "孙雷"]),
        ("村民在晾晒玉米。(本报记者 吴娜 摄)", ["吴娜"]),
        ("孙雷/孙雷 摄", ["孙雷"]),  # a name written twice is one photographer (found by a property test)
        # nothing: the word 拍摄, a glued non-name, a role title, a long paragraph
        ("景区内禁止无人机拍摄", []),
        ("游客纷纷拿出手机拍摄", []),
        ("摄影:值班主任", []),
        ("摄影师:" + "很长的说明文字" * 30 + " 钱海 摄", []),
    ],
)
def test_caption_credit(paragraph: str, expected: list[str]) -> None:
    assert caption_credit(paragraph) == expected


LABEL_PIECES = st.sampled_from(["文", "图", "摄", "译", "文/图", "图文", "本文", "记者", "编辑", "来源", "责任编辑",
                                "：", ":", "/", "|", " ", "\n", "\t", "王", "a", "1", "（", "【", "摄影", "编译"])


@given(st.lists(LABEL_PIECES, max_size=12).map("".join))
def test_label_regex_matches_as_with_the_look_behind_in_front(text: str) -> None:
    def spans(rx: re.Pattern[str]) -> list[tuple[tuple[int, int], dict[str, str | Any]]]:
        return [(m.span(), m.groupdict()) for m in rx.finditer(text)]

    assert spans(byline._LABEL_RE) == spans(PLAIN_LABEL_RE)


# ---------------------------------------------------------------- fourth round (invented examples)
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # a job title or form of address names a role, not a person
        ("产品经理", True),
        ("市场总监", True),
        ("钱主任", True),
        ("李老师", True),
        ("值班工程师", True),
        ("钱海", False),
        ("经纬", False),
        # official titles
        ("张书记", True),
        ("钱局长", True),
        ("刘校长", True),
        ("副市长", True),
        ("王主席", True),
        ("钱长海", False),
        ("李书", False),
    ],
)
def test_role_titles_are_no_names(name: str, expected: bool) -> None:
    assert is_placeholder_name(name) is expected


@pytest.mark.parametrize(
    ("text", "authors"),
    [
        ("摄影：运营主管", []),  # a role word as a photo credit
        ("图：市场经理 钱海", ["钱海"]),
        ("作者：钱海 摄影：李老师", ["钱海"]),
    ],
)
def test_role_title_credits(text: str, authors: list[str]) -> None:
    assert parse_byline(text).authors == authors


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("《河东周刊》记者 钱海", ["钱海"]),
        ("文 | 李小红", ["李小红"]),
        ("作者：钱海 刘一", ["钱海", "刘一"]),
        ("一、记者 调查", []),  # names must look like persons
        ("记者手记", []),
        ("编辑：钱海", []),  # no writer label
        ("记者 钱海说，这里的桥明年通车。", []),  # a sentence
        ("《河东周刊》记者 钱海" + "，" * 40, []),  # too long
        # a photo label, a column word or a title is no writer's byline
        ("摄影 高山流水", []),
        ("图｜王家大院", []),
        ("摄 钱海", []),
        ("文 | 周末特刊", []),
        ("作者 简介", []),
        ("记者 张书记", []),
        ("记者 钱主任", []),
    ],
)
def test_byline_paragraph(paragraph: str, expected: list[str]) -> None:
    assert byline_paragraph(paragraph) == expected


@pytest.mark.parametrize(
    ("inner", "expected"),
    [(" 钱海 ", ["钱海"]), ("李小红 刘一", ["李小红", "刘一"]), ("组图", []), ("钱海 组图", [])],
)
def test_bare_names(inner: str, expected: list[str]) -> None:
    assert bare_names(inner) == expected
