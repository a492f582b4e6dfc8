"""Source, authors and editors from meta lines, byline paragraphs and credit lines.

A line is read as a sequence of *labels* (来源, 作者, 记者, 责任编辑 …, see ``LABEL_ROLES``) each followed by
its value, which runs to the next label. The role of the label decides what the value becomes:

* ``source``  — the outlet (来源/稿源/出处/转自 …): the first token of the value, brackets dropped; generic
  placeholders (``GENERIC_SOURCES``: 网络, 互联网, 转载 …) give None.
* ``author`` / ``editor`` — person names, split on spaces, 、 ，/ ; | and on 和/及 between two names; staff
  codes (``杨倩_NF4425``) dropped; a two-character name padded with a space (``王 伟``) joined;
  placeholders naming no person (``is_placeholder_name``) dropped.
* ``other`` — labels that only end the previous value (浏览次数, 发布时间, 图片来源, 作者单位 …).

Text before the first label (an outlet such as 光明日报 in ``光明日报记者 王建宏``) names no person, except a
photo credit ``刘通 摄``. Everything is width-folded first, so ``：`` and ``:`` both work.

>>> parse_byline("2017-12-30 09:23:58 来源：临汾新闻网 浏览次数：")
Byline(source='临汾新闻网', authors=[], editors=[])
>>> parse_byline("记者 王长波 通讯员 李四").authors
['王长波', '李四']
>>> parse_byline("【责任编辑：杨倩_NF4425】").editors
['杨倩']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from linfen_crawler.normalize import clean_text

__all__ = [
    "GENERIC_SOURCES",
    "LABEL_ROLES",
    "Byline",
    "bare_names",
    "byline_paragraph",
    "caption_credit",
    "credit_block_line",
    "finalize_people",
    "is_credit_line",
    "is_placeholder_name",
    "lead_byline",
    "looks_like_person",
    "parse_byline",
    "plausible_source",
    "trailing_byline",
]

Role = Literal["source", "author", "editor", "other"]

#: Every label the parser knows and what its value is. Longer labels win over their prefixes
#: (责任编辑 over 编辑, 图片来源 over 来源, 作者单位 over 作者).
LABEL_ROLES: dict[str, Role] = {
    # origin outlet
    "来源": "source",
    "稿源": "source",
    "出处": "source",
    "转自": "source",
    "来自": "source",
    "信息来源": "source",
    "文章来源": "source",
    "新闻来源": "source",
    "消息来源": "source",
    "稿件来源": "source",
    # writers and photographers
    "记者": "author",
    "通讯员": "author",
    "实习生": "author",
    "作者": "author",
    "撰稿": "author",
    "撰文": "author",
    "采写": "author",
    "主笔": "author",
    "文": "author",
    "文字": "author",
    "图": "author",
    "图片": "author",
    "供图": "author",
    "摄影报道": "author",
    "图片报道": "author",
    "文字报道": "author",
    "摄": "author",
    "摄影": "author",
    "文/图": "author",
    "图/文": "author",
    "文图": "author",
    "图文": "author",
    # editorial staff
    "责任编辑": "editor",
    "值班编辑": "editor",
    "网络编辑": "editor",
    "编辑": "editor",
    "责编": "editor",
    "校对": "editor",
    "审核": "editor",
    "审校": "editor",
    "编审": "editor",
    "初审": "editor",
    "复审": "editor",
    "终审": "editor",
    "一审": "editor",
    "二审": "editor",
    "三审": "editor",
    "美编": "editor",
    # labels whose value is neither an outlet nor a credited person; they only end the previous value
    "图片来源": "other",
    "素材来源": "other",
    "资料来源": "other",
    "视频来源": "other",
    "作者单位": "other",
    "作者简介": "other",
    "编辑部": "other",
    "发布时间": "other",
    "发布日期": "other",
    "更新时间": "other",
    "发表时间": "other",
    "发表于": "other",
    "时间": "other",
    "日期": "other",
    "发布": "other",
    "浏览次数": "other",
    "浏览量": "other",
    "浏览": "other",
    "点击数": "other",
    "点击量": "other",
    "点击": "other",
    "阅读数": "other",
    "阅读量": "other",
    "阅读": "other",
    "访问量": "other",
    "字号": "other",
    "评论": "other",
    "分享到": "other",
    "人气": "other",
    "相关报道": "other",
    "相关新闻": "other",
    "相关阅读": "other",
    "分享": "other",
    "关键词": "other",
    "标签": "other",
    "译": "other",
    "编译": "other",
    "翻译": "other",
}

#: Labels that name a role without a separator glued to a name (记者陈智, 通讯员刘娟, 作者系…). All
#: others need a separator (``:``, ``/``, ``|`` or whitespace) after them, so 摄影队, 图片, 发布会, 时间表
#: are not labels.
_GLUED_LABELS: frozenset[str] = frozenset(
    {
        "记者",
        "通讯员",
        "实习生",
        "作者",
        "责任编辑",
        "值班编辑",
        "网络编辑",
        "编辑",
        "责编",
        "来源",
        "转自",
        "信息来源",
        "文章来源",
        "新闻来源",
        "稿源",
        "出处",
        "作者单位",
        "作者简介",
        "图片来源",
        "素材来源",
        "资料来源",
        "视频来源",
        "编辑部",
        "浏览次数",
        "发布时间",
        "发布日期",
        "更新时间",
        "发表于",
    }
)
#: One-character labels also need a non-Han character before them (文/张三 but not 本文/张三).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SEP_AHEAD = r"(?=\s*[:|/]|\s)"
#: Labels that are also everyday words (图片 新闻, 文字 直播): a label only before ``:``, ``|`` or ``/``
_MARKED_LABELS: frozenset[str] = frozenset({"文字", "图片", "供图"})


def _label_pattern(label: str) -> str:
    piece = re.escape(label)
    if len(label) == 1:
        # the look-behind follows the character it looks past, so that every alternative of _LABEL_RE opens
        # with a literal: the regex engine then skips, by their first character, the positions where no label
        # starts (five times faster on a meta line than a look-behind in front)
        piece = f"{piece}(?<![{_HAN}].)"
    if label in _MARKED_LABELS:
        piece += r"(?=\s*[:|/])"
    elif label not in _GLUED_LABELS:
        piece += _SEP_AHEAD
    return piece


_LABEL_RE = re.compile(
    "(?P<label>"
    + "|".join(_label_pattern(label) for label in sorted(LABEL_ROLES, key=len, reverse=True))
    + r")(?P<sep>\s*[:|]\s*|\s*/\s*|\s*)"
)

#: Sources that credit no outlet ("from the internet", "reposted") → None.
GENERIC_SOURCES: frozenset[str] = frozenset(
    {
        "网络",
        "互联网",
        "网友",
        "网友投稿",
        "投稿",
        "转载",
        "转载文章",
        "网络转载",
        "网络整理",
        "网络综合",
        "综合网络",
        "综合",
        "综合整理",
        "整理",
        "本站",
        "本网",
        "本站原创",
        "本网原创",
        "原创",
        "未知",
        "佚名",
        "不详",
        "其他",
        "其它",
        "来源于网络",
        "来自网络",
        "网上",
        "网摘",
        "自媒体",
        "admin",
    }
)

#: Person-name placeholders that name nobody (compared after cleaning, case-insensitively).
_PLACEHOLDER_NAMES: frozenset[str] = frozenset(
    {
        "未知",
        "佚名",
        "匿名",
        "不详",
        "无",
        "暂无",
        "admin",
        "administrator",
        "editor",
        "root",
        "guest",
        "user",
        "小编",
        "记者",
        "编辑",
        "作者",
        "通讯员",
        "本报",
        "本网",
        "本站",
        "本刊",
        "网友",
        "网络",
        "综合",
        "整理",
        "整合",
        "供图",
        "摄影",
        "报道",
        "原创",
        "转载",
        "编译",
        "来源",
        "视频",
        "资料图",
        "组图",
    }
)
_PLACEHOLDER_RE = re.compile(
    r"^(?:本报|本网|本站|本刊|本台|特约)"  # 本报记者, 本网编辑 …
    r"|(?:网|报|社|台|站|刊)(?:编辑|记者|小编)$"  # 临汾新闻网编辑, 山西日报记者 …
    r"|管理员|编辑部|整理$|^网络|通讯社$|(?:日报|晚报|早报|新闻网|电视台|广播电台|报社)$"
    r"|^(?:admin|administrator|webmaster|editor)\d*$"
    # a job title, official title or form of address names a role, not a person: 摄影：产品经理, 图：李老师,
    # 记者 张书记 (a Chinese name never ends in one of these)
    r"|(?:经理|总监|主任|主管|总裁|董事长|工程师|设计师|老师|教授|专员|助理|负责人|老板|店长|站长|版主|楼主|博主|群主"
    r"|书记|局长|市长|县长|镇长|乡长|村长|区长|省长|院长|校长|部长|处长|科长|厅长|主席)$"
    # a periodical, a news agency or a publisher credited on a writer's line is an outlet, not a writer:
    # 文/某某周刊, 图/某某社 (an organisation ending in 社: 通讯社, 新闻社, 杂志社, 出版社)
    r"|(?:杂志|周刊|月刊|半月刊|旬刊|双周刊|画报|期刊|社)$",
    re.IGNORECASE,
)
_STAFF_CODE_RE = re.compile(r"[_＿\-]?[A-Za-z]{0,5}\d{2,}$")
#: Role words glued to the end of a name: 刘通摄, 罗科苏盈发自北京.
#: (供图, 整合 … stand apart as tokens and are placeholders.)
_NAME_SUFFIX_RE = re.compile(r"(?:\s*/?\s*摄影?|发自\S*)$")
#: A parenthesised alias or note after a name: 周思博 (Joel Spolsky) → 周思博.
_PAREN_NOTE_RE = re.compile(r"(?<=\S)\s*\([^()]*\)")
_PADDED_NAME_RE = re.compile(rf"^([{_HAN}]) ([{_HAN}])$")
#: A qualifier glued before a label, ending the previous value: 见习(记者), 南都见习(记者), 山西日报(记者).
_QUALIFIER_RE = re.compile(
    r"(?:见习|实习|特约|首席|资深|驻\S+|本报|本网|本台|本刊|网|报|社|台|站|刊|新闻|客户端|融媒|中心|频道)$"
)
#: A token ending in 报道 (上海报道, 发自北京报道) is a dateline, never a name.
_DATELINE_TOKEN_RE = re.compile(r"报道$")
#: Where a names value ends: an unknown label (人气: …), an opening bracket, the text after a photo 摄.
_UNKNOWN_LABEL_RE = re.compile(r"\s+[^\s:|]{1,8}\s*[:|]")
_OPEN_BRACKET_RE = re.compile(r"\s*[(\[【〔<《]")
_PHOTO_END_RE = re.compile(r"\s+摄影?|(?<=\S)摄影?(?=[\s)\]】,。;]|$)")
_HAS_LETTER_RE = re.compile(rf"[{_HAN}A-Za-z]")
_SOURCE_LEAD_RE = re.compile(r"^\s*[于自]\s*")
_DATE_LIKE_RE = re.compile(r"^[\d\-/.:年月日号]+$")
_TOKEN_SPLIT_RE = re.compile(r"[\s、，,/;；|]+")
_AND_SPLIT_RE = re.compile(r"[和及与]")
_HAN_NAME_RE = re.compile(rf"^[{_HAN}]{{2,4}}$")
_DOTTED_NAME_RE = re.compile(rf"^[{_HAN}]{{1,8}}(?:[·•][{_HAN}]{{1,8}})+$")
_LATIN_WORD_RE = re.compile(r"^[A-Za-z][A-Za-z.'\-]*$")
_LOOSE_NAME_RE = re.compile(rf"^[{_HAN}A-Za-z0-9·]{{2,10}}$")
_HAN_CHAR_RE = re.compile(rf"^[{_HAN}]$")
_OPEN_BRACKETS = "([{【〔［〖《<"
_CLOSE_BRACKETS = ")]}】〕］〗》>"
_BRACKETS = _OPEN_BRACKETS + _CLOSE_BRACKETS
_TRIM = _BRACKETS + " \t:|,.;、。-—_·"
_BRACKET_GROUP_RE = re.compile(r"[(【\[〔](?P<inner>[^()【】\[\]〔〕]{1,60})[)】\]〕]")
_PHOTO_CREDIT_RE = re.compile(rf"(?P<names>[{_HAN}A-Za-z ·]{{2,30}}?)\s*/?\s*摄(?:影)?(?=$|[\s)\]】,，。;；])")
_SENTENCE_END_RE = re.compile(r"[。!?！？;；]")
_LEAD_WINDOW = 60
_CREDIT_MAX_LEN = 80
#: A paragraph this short, without sentence punctuation, may be a byline on its own (记者 刘涛).
_BYLINE_PARAGRAPH_MAX = 40

#: Common Chinese surnames (single and compound). An unlabelled bracket at the end of a body (（张巨峰）)
#: counts as a byline only when each name in it starts with one of these.
_COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "端木",
    "独孤",
    "南宫",
    "西门",
    "百里",
    "呼延",
    "澹台",
    "申屠",
)
_SURNAMES: frozenset[str] = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强"
    "帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平索宣晋相初门云容敬来扈晁芮都普阎戈廖信郇温洪畅侍宿慕贲滑蒯银"
)


@dataclass(slots=True)
class Byline:
    """Who and where an article is credited to. ``authors``/``editors`` keep order of appearance."""

    source: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)

    def merge(self, other: Byline) -> Byline:
        """Return a new Byline: the first non-empty source wins; names are appended without duplicates."""
        return Byline(
            source=self.source or other.source,
            authors=_dedupe([*self.authors, *other.authors]),
            editors=_dedupe([*self.editors, *other.editors]),
        )

    def __bool__(self) -> bool:
        return bool(self.source or self.authors or self.editors)


def _dedupe(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(name for name in names if name))


def _strip_brackets(value: str) -> str:
    return value.strip(_TRIM + "　").strip()


def is_placeholder_name(name: str) -> bool:
    """True for a credit that names no person: 未知, 佚名, 本报记者, 临汾新闻网编辑, 系统管理员, admin …"""
    key = name.strip().lower()
    return not key or key in _PLACEHOLDER_NAMES or bool(_PLACEHOLDER_RE.search(key))


def _clean_name(raw: str) -> str:
    """Drop brackets, a staff code (``_NF4425``) and trailing role words (摄, 报道, 发自北京) from a name."""
    name = raw
    previous = None
    while previous != name:  # to a fixed point, so that cleaning a clean name changes nothing
        previous = name
        name = _strip_brackets(_PAREN_NOTE_RE.sub("", name))
        name = _PADDED_NAME_RE.sub(r"\1\2", name)
        name = _strip_brackets(_STAFF_CODE_RE.sub("", name))
        name = _strip_brackets(_NAME_SUFFIX_RE.sub("", name))
    return name


def _is_name(token: str, *, loose: bool) -> bool:
    if is_placeholder_name(token):
        return False
    if _HAN_NAME_RE.match(token) or _DOTTED_NAME_RE.match(token):
        return True
    if all(_LATIN_WORD_RE.match(word) for word in token.split(" ")):
        return len(token) >= 2
    return loose and bool(_LOOSE_NAME_RE.match(token))


def _tokens(value: str) -> list[str]:
    """Split a names value into raw tokens, joining ``王 伟`` and runs of Latin words (``Demi Xia``)."""
    parts = [p for p in _TOKEN_SPLIT_RE.split(_strip_brackets(_PAREN_NOTE_RE.sub("", value))) if p]
    joined: list[str] = []
    for part in parts:
        if joined:
            last = joined[-1]
            if _HAN_CHAR_RE.match(last) and _HAN_CHAR_RE.match(part):
                joined[-1] = last + part
                continue
            if _LATIN_WORD_RE.match(part) and all(_LATIN_WORD_RE.match(w) for w in last.split(" ")):
                joined[-1] = f"{last} {part}"
                continue
        joined.append(part)
    split: list[str] = []
    for token in joined:
        pieces = _AND_SPLIT_RE.split(token)
        if len(pieces) > 1 and all(_HAN_NAME_RE.match(p) for p in pieces):
            split.extend(pieces)
        else:
            split.append(token)
    return split


def _name_value(value: str) -> str:
    """The part of a label's value that can hold names: it ends at an unknown ``label:`` (人气: 5380),
    at an opening bracket after the names (周思博 (Joel Spolsky)) and right after a photo credit 摄."""
    value = _UNKNOWN_LABEL_RE.split(value, maxsplit=1)[0]
    stripped = value.lstrip(_TRIM)
    bracket = _OPEN_BRACKET_RE.search(stripped, 1)
    if bracket:
        stripped = stripped[: bracket.start()]
    return _PHOTO_END_RE.split(stripped, maxsplit=1)[0]


def _names(value: str, *, loose: bool = False, need_surname: bool = False) -> list[str]:
    """Person names in a label's value.

    ``loose`` admits one longer token (作者：棒棒不是糖); ``need_surname`` keeps only Han names starting
    with a common surname (and Latin names), for labels glued into running text.
    """
    tokens = [_clean_name(t) for t in _tokens(_name_value(value)) if not _DATELINE_TOKEN_RE.search(t)]
    tokens = [t for t in tokens if t]
    loose = loose and len(tokens) == 1 and not need_surname
    names = (t for t in tokens if _is_name(t, loose=loose))
    if need_surname:
        names = (t for t in names if looks_like_person(t))
    return _dedupe(names)


_PAIRS = dict(zip(_OPEN_BRACKETS, _CLOSE_BRACKETS, strict=True))


def _outlet_head(text: str) -> str:
    """The first token of a source value, keeping the brackets it closes itself.

    The token ends at a space, ``|`` or a closing bracket that nothing in it opened (``【人民日报】`` →
    人民日报); a bracket it opens stays with its closer, so an outlet's own title marks or place tag survive:
    ``人民网-《人民日报》``, ``南方日报(广州)``.
    """
    stack: list[str] = []
    for i, ch in enumerate(text):
        if ch in _PAIRS:
            stack.append(_PAIRS[ch])
        elif ch in _CLOSE_BRACKETS:
            if not stack or stack[-1] != ch:
                return text[:i]
            stack.pop()
        elif not stack and (ch.isspace() or ch == "|"):
            return text[:i]
    return text


def _trim_outlet(head: str) -> str:
    """Trim separators around an outlet, and a bracket only when it is unbalanced."""
    while True:
        trimmed = head.strip(" \t:|,.;、。-—_·　")
        if trimmed[:1] in _PAIRS and _PAIRS[trimmed[0]] not in trimmed:
            trimmed = trimmed[1:]
        if trimmed == head:
            return head
        head = trimmed


#: endings of organisations and outlets; a 2–4 character name led by a surname without one is a person
_INSTITUTION_END_RE = re.compile(
    r"(?:网|报|社|台|刊|志|端|闻|线|媒|讯|号|站|部|局|厅|委|办|府|院|会|所|馆|署|处|司|厂|校|园|团|队|组|"
    r"中心|频道|平台|集团|公司|协会)$"
)
#: markup that leaked into a text value (a broken tag's attribute: ``size="20"``)
_MARKUP_LEAK_RE = re.compile(r"[=<>\"]")


def plausible_source(value: str) -> bool:
    """Whether a source value can name an outlet: not leaked markup (``size="20"``, ``<font``) and not a
    person's name (``张三``: 2–4 Han characters led by a common surname, without an organisation's ending
    such as 网, 报, 社, 台, 中心). A person credited as 来源 is a writer's page, not an outlet."""
    if _MARKUP_LEAK_RE.search(value):
        return False
    return not (_HAN_NAME_RE.match(value) and _has_surname(value) and not _INSTITUTION_END_RE.search(value))


def _source(value: str) -> str | None:
    """The outlet in a source value: the first token, unbalanced brackets dropped; None for generic
    placeholders, leaked markup and a person's name (``plausible_source``)."""
    text = value.strip().lstrip(_OPEN_BRACKETS + " ")
    if not text:
        return None
    head = _trim_outlet(_outlet_head(text))
    if not head or head.lower() in GENERIC_SOURCES or _DATE_LIKE_RE.match(head) or not plausible_source(head):
        return None
    return head


#: Rule A12: names, a slash and a writer's role after them: 钱海 周小梅/文, （周小梅/图）
_SLASH_CREDIT_RE = re.compile(
    rf"(?:^|(?<=[\s(\[【]))(?P<names>[{_HAN}A-Za-z· ]{{2,30}}?)\s*/\s*(?:文字|图片|文图|图文|文|图)"
    r"(?=$|[\s)\]】,，。;；])"
)


def _names_before_slash(line: str) -> list[str]:
    """Rule A12: names written before a slash and a writer's role (``钱海 周小梅/文``, ``（周小梅/图）``):
    all or nothing per credit, every token a surname-led name (``本报记者/文``, a sentence: nobody)."""
    found: list[str] = []
    for match in _SLASH_CREDIT_RE.finditer(line):
        tokens = [t for t in (_clean_name(t) for t in _tokens(match["names"])) if t]
        if tokens and all(looks_like_person(t) and not is_placeholder_name(t) for t in tokens):
            found.extend(tokens)
    return found


def _photo_credits(text: str) -> list[str]:
    """Names in photo credits without a label: ``刘通 摄``, ``城市摄影队 周斌 摄`` → the trailing names."""
    found: list[str] = []
    for match in _PHOTO_CREDIT_RE.finditer(text):
        tokens = [_clean_name(t) for t in _tokens(match.group("names"))]
        names: list[str] = []
        for token in reversed(tokens):  # the names sit right before 摄; stop at the first non-name
            if not token or not _is_name(token, loose=False):
                break
            names.insert(0, token)
        found.extend(names)
    return found


@dataclass(frozen=True, slots=True)
class _Segment:
    label: str
    sep: str  # the separator as written: ':', '|', '/', ' ' or '' (glued: 记者陈智)
    value: str  # up to the next label
    at_boundary: bool  # the label starts a field: line start, after a non-Han char or after a qualifier


def _segments(text: str) -> tuple[str, list[_Segment]]:
    """Split a line into the text before the first label and its label/value segments."""
    matches = list(_LABEL_RE.finditer(text))
    if not matches:
        return text, []
    segments = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        before = text[: match.start()]
        at_boundary = not before or not _HAN_CHAR_RE.match(before[-1]) or bool(_QUALIFIER_RE.search(before))
        segments.append(
            _Segment(
                match.group("label"),
                match.group("sep").strip() or match.group("sep")[:1],
                text[match.end() : end],
                at_boundary,
            )
        )
    return text[: matches[0].start()], segments


def _drop_qualifier(value: str) -> str:
    """Drop a qualifier glued to the next label (见习 in ``刘晓阳 见习记者``, 山西日报 in ``… 山西日报记者``).

    Only runs ending like a qualifier or an outlet go: ``记者王长波通讯员李四`` keeps 王长波.
    """
    head, _, tail = value.rpartition(" ")
    if tail and _QUALIFIER_RE.search(tail):
        return head
    return value


def _segment_names(segment: _Segment, value: str) -> list[str]:
    """Names in one author/editor segment, as strict as its position and separator demand.

    A label glued into running text (据记者采访了解, 给编辑写信) credits nobody; a glued label at a field
    start (记者陈智, 本报记者罗科苏盈) or a label in mid-text (交汇点记者 徐睿翔) needs surname-led names;
    only ``label:`` at a field start admits a longer pen name (作者：棒棒不是糖).
    """
    glued = segment.sep == ""
    if glued and not segment.at_boundary:
        return []
    loose = segment.at_boundary and segment.sep in (":", "|")
    return _names(value, loose=loose, need_surname=glued or not segment.at_boundary)


def _ends_with_name(segment: _Segment, names: list[str]) -> bool:
    return segment.value.rstrip().endswith(names[-1])


def _source_value(segment: _Segment) -> str | None:
    if segment.sep == "" and not segment.at_boundary:  # 收入来源是…, 资金来源于…
        return None
    return _source(_SOURCE_LEAD_RE.sub("", segment.value))


def parse_byline(text: str) -> Byline:
    """Source, authors and editors credited in one line of text (meta line, byline or editor line).

    The first source label wins; names keep their order of appearance without duplicates.
    """
    line = clean_text(text)
    byline = Byline()
    prefix, segments = _segments(line)
    byline.authors.extend(_photo_credits(prefix))
    if "/" in line:
        byline.authors.extend(_names_before_slash(line))  # Rule A12: 钱海 周小梅/文
    previous: list[str] = []
    swallowed: set[int] = set()
    for index, segment in enumerate(segments):
        if index in swallowed:
            continue
        role = LABEL_ROLES[segment.label]
        if previous and not segment.at_boundary and segment.value and _ends_with_name(segments[index - 1], previous):
            segment = replace(segment, at_boundary=True)  # 记者王长波通讯员李四: a name ends the last field
        previous = []
        if role == "source":
            # a label glued inside the outlet's name (来源：中国记者网) is part of the name
            after = index + 1
            while (after < len(segments) and not segment.value[-1:].isspace() and segments[after].sep == ""
                   and not segments[after].at_boundary):
                segment = replace(segment, value=segment.value + segments[after].label + segments[after].value)
                swallowed.add(after)
                after += 1
            if byline.source is None:
                byline.source = _source_value(segment)
            continue
        if role == "other":
            continue
        is_last = index == len(segments) - 1
        value = segment.value if is_last else _drop_qualifier(segment.value)
        names = previous = _segment_names(segment, value)
        (byline.authors if role == "author" else byline.editors).extend(names)
    byline.authors = _dedupe(byline.authors)
    byline.editors = _dedupe(byline.editors)
    return byline


def _person_byline(text: str) -> Byline:
    """parse_byline restricted to people (a bracketed lead or closing note credits no source)."""
    found = parse_byline(text)
    return Byline(authors=found.authors, editors=found.editors)


def lead_byline(paragraph: str) -> Byline:
    """The byline in the bracket of a lead paragraph's first ~60 characters.

    ``临汾新闻网讯 （记者 王长波 通讯员 李四）昨日…`` → authors [王长波, 李四];
    ``新华社北京3月5日电（记者 张三、李四）``; ``【文/观察者网专栏作者 王文】``.
    A short paragraph that is only a byline (``光明日报记者 王建宏 张文攀``) counts too; a bracket
    without a role label gives an empty Byline.
    """
    text = clean_text(paragraph)
    for match in _BRACKET_GROUP_RE.finditer(text[:_LEAD_WINDOW]):
        inner = match.group("inner")
        if _LABEL_RE.search(inner):
            found = _person_byline(inner)
            if found:
                return found
    if len(text) <= _BYLINE_PARAGRAPH_MAX and not _SENTENCE_END_RE.search(text):
        found = _person_byline(text)  # a lead paragraph that is only a byline: 光明日报记者 王建宏 张文攀
        return Byline(authors=found.authors, editors=found.editors)
    return Byline()


#: writer labels: a paragraph holding one of them may be a byline standing on its own (Rule A2b); not the
#: photo labels 图/摄/摄影, which head captions and picture credits (``图｜王家大院``) as often as bylines
_PHOTO_LABELS = frozenset(("图", "摄", "摄影", "图片", "供图", "摄影报道", "图片报道"))
_BYLINE_PARAGRAPH_LABELS = frozenset(
    label for label, role in LABEL_ROLES.items() if role == "author" and label not in _PHOTO_LABELS
)
#: Rule A2b: a value naming a column or an issue (简介, 特刊) is no writer's name (one ending in a role or
#: job word, 张书记, is already dropped by parse_byline: is_placeholder_name)
_COLUMN_WORD_RE = re.compile(r"(?:简介|特刊|专刊|周刊|月刊|副刊|专栏|专题)$")


def byline_paragraph(paragraph: str) -> list[str]:
    """Writers of a body paragraph that is only a byline, wherever it stands near the top of the body.

    ``《河东周刊》作者 张三``, ``文 | 李四`` → the names; the paragraph must be short (≤ 40 characters),
    hold no sentence punctuation, carry a writer label other than the photo labels 图/摄/摄影, and every
    name must look like a person's (``looks_like_person``) and not end in a role or job word (书记, 局长,
    主任 …) or a column word (简介, 特刊, 周刊 …), so a subheading such as ``一、记者 调查``, a caption
    ``图｜王家大院`` or ``记者 张书记`` gives nothing.
    """
    text = clean_text(paragraph)
    if not text or len(text) > _BYLINE_PARAGRAPH_MAX or _SENTENCE_END_RE.search(text):
        return []
    _, segments = _segments(text)
    if not any(segment.label in _BYLINE_PARAGRAPH_LABELS for segment in segments):
        return []
    names = parse_byline(text).authors
    if not names or any(_COLUMN_WORD_RE.search(n) or not looks_like_person(n) for n in names):
        return []
    return names


def credit_block_line(paragraph: str) -> Byline:
    """Rule A3b: the people of one line of a credit block closing an article (``文字：钱海``, ``摄影 | 周小梅``,
    ``责任编辑：李铭``): a short line (≤ 40 characters) without sentence punctuation that opens with a writer
    or editor label and names only people (surname-led Han names or Latin names); an empty Byline else."""
    text = clean_text(paragraph).strip("()（）[]【】 ")
    if not text or len(text) > _BYLINE_PARAGRAPH_MAX or _SENTENCE_END_RE.search(text):
        return Byline()
    prefix, segments = _segments(text)
    if prefix.strip() or not segments or LABEL_ROLES[segments[0].label] not in ("author", "editor"):
        return Byline()
    found = _person_byline(text)
    if not found or not all(looks_like_person(n) for n in (*found.authors, *found.editors)):
        return Byline()
    return found


def _has_surname(name: str) -> bool:
    return name.startswith(_COMPOUND_SURNAMES) or name[:1] in _SURNAMES


def bare_names(inner: str) -> list[str]:
    """Names in an unlabelled closing bracket: （张巨峰）, （常书香 马丹阳）, （姚峰 上海报道）.

    All or nothing: every token must be a 2–4 character Han name starting with a common surname.
    """
    tokens = [_clean_name(t) for t in _tokens(inner) if not _DATELINE_TOKEN_RE.search(t)]
    tokens = [t for t in tokens if t]
    if not tokens or not all(_HAN_NAME_RE.match(t) and _has_surname(t) and not is_placeholder_name(t) for t in tokens):
        return []
    return _dedupe(tokens)


def trailing_byline(paragraph: str) -> Byline:
    """The byline in the last paragraph of a body; an empty Byline for ordinary text.

    ``（张巨峰）`` and ``（刘通 摄）`` → that author; ``(作者系市直工委副书记 王文生)`` → 王文生;
    ``（作者单位：…）`` → nobody; a short labelled line (``文/图 张三``, ``记者 刘涛``) → its people.
    A bracket closing a longer paragraph (``……。（张三）``) counts too.
    """
    text = clean_text(paragraph)
    if not text:
        return Byline()
    match = _BRACKET_GROUP_RE.search(text)
    closing = None
    while match is not None:
        if match.end() == len(text):
            closing = match
        match = _BRACKET_GROUP_RE.search(text, match.start() + 1)
    if closing is not None:
        inner = closing.group("inner")
        if _LABEL_RE.search(inner):
            return _person_byline(inner)
        names = bare_names(inner) or _photo_credits(inner) or _names_before_slash(inner)
        return Byline(authors=names)
    if len(text) <= _BYLINE_PARAGRAPH_MAX and not _SENTENCE_END_RE.search(text):
        found = _person_byline(text)
        if found:
            return found
        return Byline(authors=_photo_credits(text))
    return Byline()


#: a paragraph (caption) that ends in a photo credit: …城市摄影队 周斌 摄 / …（通讯员刘娟 摄）
_CAPTION_END_RE = re.compile(r"\s*摄影?\s*[)）】\]]?$")
#: where the credit starts inside a caption: after the caption sentence, a colon or a ▲ mark
_CAPTION_CUT_RE = re.compile(r"[。!?！？,，;；:：▲△■●(（【\[]")
#: role words in a photo credit, glued or not: 中新社记者 贾天勇, 通讯员刘娟, 图片记者黎旭阳
_CAPTION_ROLE_RE = re.compile(r"(?:摄影记者|摄影师|记者|通讯员|实习生|摄影|图)")
CAPTION_MAX = 150


def caption_credit(paragraph: str) -> list[str]:
    """Photographers credited at the end of a caption anywhere in the body.

    ``雨游黄鹤楼照样开心。城市摄影队 周斌 摄`` → [周斌]; ``…出行。中新社记者 贾天勇 摄`` → [贾天勇];
    ``▲图片记者黎旭阳、李妍摄`` → [黎旭阳, 李妍]; ``图片来源：每经记者 张蕊 摄`` → [张蕊].
    The credit is the text after the caption's last sentence mark (。，：▲ …) and after its last role word;
    every name must start with a common surname, and without a role word the names must stand apart from
    摄 (``周斌 摄``), so ``禁止拍摄`` gives nothing.
    """
    text = clean_text(paragraph)
    if not text or len(text) > CAPTION_MAX:
        return []
    end = _CAPTION_END_RE.search(text)
    if end is None or end.start() == 0:
        return []
    core = text[: end.start()]
    spaced = end.group().startswith(" ")
    cuts = list(_CAPTION_CUT_RE.finditer(core))
    tail = core[cuts[-1].end():] if cuts else core
    for role in reversed(list(_CAPTION_ROLE_RE.finditer(tail))):
        tokens = [t for t in (_clean_name(t) for t in _tokens(tail[role.end():])) if t]
        if tokens and all(looks_like_person(t) and not is_placeholder_name(t) for t in tokens):
            return _dedupe(tokens)
    if not spaced:
        return []
    names: list[str] = []
    for token in reversed([_clean_name(t) for t in _tokens(tail)]):  # names sit right before 摄
        if not token or is_placeholder_name(token) or not looks_like_person(token):
            break
        names.insert(0, token)
    return _dedupe(names)  # 张三/张三 摄: one photographer


_CREDIT_START_RE = re.compile(
    r"^(?:本文)?(?:"
    + "|".join(
        re.escape(label)
        for label in sorted(LABEL_ROLES, key=len, reverse=True)
        if LABEL_ROLES[label] in ("editor", "source")
    )
    + r")(?:\s*[:|]|\s)"
)


def is_credit_line(line: str) -> bool:
    """True for a paragraph that is only an editor or source credit, to be removed from the body.

    ``【责任编辑：付基恒】``, ``责任编辑：张三``, ``(编辑 张三)``, ``校对：…``, ``来源：临汾日报``,
    ``编辑 刘晓阳 校对 李铭``. False for ``（作者系… 王文生）`` (kept in the body), lead paragraphs, author
    lines and ordinary sentences that mention 编辑 (``他是一名编辑。``).
    """
    text = clean_text(line)
    if not text or len(text) > _CREDIT_MAX_LEN:
        return False
    inner = text
    while inner and inner[0] in _OPEN_BRACKETS and inner[-1] in _CLOSE_BRACKETS:
        inner = inner[1:-1].strip()
    if not _CREDIT_START_RE.match(inner):
        return False
    if _SENTENCE_END_RE.search(inner.rstrip("。")):
        return False
    # every part of the line must be a label and its value: a value may not hold a sentence, and a
    # name after a bare space (编辑 张三, not 编辑：张三) must look like a person's name
    _, segments = _segments(inner)
    for segment in segments:
        if len(segment.value.strip()) > 30:
            return False
        if LABEL_ROLES[segment.label] == "editor" and segment.sep in ("", " "):
            tokens = [_clean_name(t) for t in _tokens(_name_value(segment.value))]
            if not all(not t or is_placeholder_name(t) or looks_like_person(t) for t in tokens):
                return False
    return True


def looks_like_person(token: str) -> bool:
    """A Latin name, or a 2–4 character Han name starting with a common surname."""
    if all(_LATIN_WORD_RE.match(word) for word in token.split(" ")):
        return True
    return bool(_HAN_NAME_RE.match(token)) and _has_surname(token)


def finalize_people(authors: list[str], editors: list[str]) -> tuple[list[str], list[str]]:
    """Clean, de-duplicate and drop placeholders from collected author and editor names.

    Cleaning width-folds, drops staff codes (杨倩_NF4425 → 杨倩) and joins padded names (王 伟 → 王伟);
    strings without a letter are dropped too. A name shown both as writer and as editor stays in both.
    """

    def final(names: list[str]) -> list[str]:
        cleaned = (_clean_name(clean_text(name)) for name in names)
        return _dedupe(name for name in cleaned if _HAS_LETTER_RE.search(name) and not is_placeholder_name(name))

    return final(authors), final(editors)
