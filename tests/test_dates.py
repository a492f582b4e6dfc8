"""Table-driven tests of linfen_crawler.extract.dates."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from linfen_crawler.extract.dates import DateMatch, date_from_url, parse_date

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: The fetch time relative dates are resolved against: 2021-03-05 12:00 in Shanghai.
NOW = datetime(2021, 3, 5, 12, 0, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "value", "shown"),
    [
        # the seed page's meta line
        ("2011-10-15 10:19:00　来源：临汾新闻网　　浏览次数：", "2011-10-15T10:19:00+08:00", "2011-10-15 10:19:00"),
        ("2017-12-30 09:23:58 来源：临汾新闻网 浏览次数：", "2017-12-30T09:23:58+08:00", "2017-12-30 09:23:58"),
        ("2011-10-15 10:19", "2011-10-15T10:19:00+08:00", "2011-10-15 10:19"),
        ("2011年10月15日 10:19", "2011-10-15T10:19:00+08:00", "2011年10月15日 10:19"),
        ("2011年10月15日", "2011-10-15", "2011年10月15日"),
        ("2011/10/15", "2011-10-15", "2011/10/15"),
        ("2011.10.15", "2011-10-15", "2011.10.15"),
        ("２０１１－１０－１５　１０：１９", "2011-10-15T10:19:00+08:00", "2011-10-15 10:19"),
        ("发布时间：2021年03月05日 08:30", "2021-03-05T08:30:00+08:00", "2021年03月05日 08:30"),
        ("时间：2019-09-25 作者：网络整理", "2019-09-25", "2019-09-25"),
        ("日期：2011.10.15", "2011-10-15", "2011.10.15"),
        ("发布日期：2011/10/15", "2011-10-15", "2011/10/15"),
        ("2005年3月11日12:12", "2005-03-11T12:12:00+08:00", "2005年3月11日12:12"),
        ("2021-1-29 13:18", "2021-01-29T13:18:00+08:00", "2021-1-29 13:18"),
        ("2005-01-06 08:13更新", "2005-01-06T08:13:00+08:00", "2005-01-06 08:13"),
        ("2022.01.20 16:31", "2022-01-20T16:31:00+08:00", "2022.01.20 16:31"),
        ("2011年10月15日10时19分", "2011-10-15T10:19:00+08:00", "2011年10月15日10时19分"),
        ("来源：太原晚报 2021-11-25 16:26:07", "2021-11-25T16:26:07+08:00", "2021-11-25 16:26:07"),
        ("发表于2014-08-24 21:30| 来源CSDN", "2014-08-24T21:30:00+08:00", "2014-08-24 21:30"),
        ("2019 09/07 19:02", "2019-09-07T19:02:00+08:00", "2019 09/07 19:02"),
        # the stacked parts printed in separate spans, spaces around / and :
        ("2021 11 / 30 08 : 05 评论", "2021-11-30T08:05:00+08:00", "2021 11 / 30 08 : 05"),
        ("发布时间：18-03-08 23:16", "2018-03-08T23:16:00+08:00", "18-03-08 23:16"),
        # ISO with an offset or Z is converted to the zone
        ("2019-09-07T05:43:45Z", "2019-09-07T13:43:45+08:00", "2019-09-07T05:43:45Z"),
        ("2019-09-07T13:43:45+08:00", "2019-09-07T13:43:45+08:00", "2019-09-07T13:43:45+08:00"),
        ("2019-09-07T00:43:45-05:00", "2019-09-07T13:43:45+08:00", "2019-09-07T00:43:45-05:00"),
        # the first valid date wins; an impossible one is skipped
        ("2011-10-15 相关：2011-10-12", "2011-10-15", "2011-10-15"),
        ("2011-13-45 then 2012-01-02", "2012-01-02", "2012-01-02"),
        # relative dates, against NOW
        ("刚刚", "2021-03-05T12:00:00+08:00", "刚刚"),
        ("5分钟前", "2021-03-05T11:55:00+08:00", "5分钟前"),
        ("3小时前", "2021-03-05T09:00:00+08:00", "3小时前"),
        ("2天前", "2021-03-03", "2天前"),
        ("今天 10:20", "2021-03-05T10:20:00+08:00", "今天 10:20"),
        ("昨天 10:20", "2021-03-04T10:20:00+08:00", "昨天 10:20"),
        ("前天", "2021-03-03", "前天"),
        ("昨天", "2021-03-04", "昨天"),
    ],
)
def test_parse_date(text: str, value: str, shown: str) -> None:
    assert parse_date(text, now=NOW) == DateMatch(value, shown)


@pytest.mark.parametrize(
    "text",
    [
        "10月15日",  # no year
        "发布时间：10-08 12:00",  # no year
        "2011-13-45",
        "2011-02-30 10:00",
        "浏览次数：2011",
        "临汾新闻网",
        "",
    ],
)
def test_parse_date_none(text: str) -> None:
    assert parse_date(text, now=NOW) is None


def test_relative_date_uses_now_in_the_zone() -> None:
    utc_now = datetime(2021, 3, 4, 20, 0, tzinfo=UTC)  # 2021-03-05 04:00 in Shanghai
    assert parse_date("昨天", now=utc_now) == DateMatch("2021-03-04", "昨天")


def test_other_zone_offset() -> None:
    assert parse_date("2021-07-01 10:00", tz="Europe/Berlin") == DateMatch(
        "2021-07-01T10:00:00+02:00", "2021-07-01 10:00"
    )


@pytest.mark.parametrize(
    ("url", "value", "shown"),
    [
        ("http://www.sxycrb.com/2021-03/15/content_1.html", "2021-03-15", "2021-03/15"),
        ("http://www.example.cn/202103/15/c123.html", "2021-03-15", "202103/15"),
        ("http://www.example.cn/20210315/c123.html", "2021-03-15", "20210315"),
        ("http://www.jcnews.com.cn/xw/202103/t20210315_123.html", "2021-03-15", "20210315"),
        ("http://www.example.cn/2021/0315/c123.html", "2021-03-15", "2021/0315"),
        ("http://www.example.cn/2021/03/15/c123.html", "2021-03-15", "2021/03/15"),
        ("http://m.hexun.com/stock/2019-09-26/198678130.html", "2019-09-26", "2019-09-26"),
    ],
)
def test_date_from_url(url: str, value: str, shown: str) -> None:
    assert date_from_url(url) == DateMatch(value, shown)


@pytest.mark.parametrize(
    "url",
    [
        "http://www.lfxww.com/linfen/djll/93512.html",
        "http://www.lfxww.com/plus/view.php?aid=93512",
        "http://www.example.cn/1990/0315/c1.html",  # implausible year
        "http://www.example.cn/2021/1345/c1.html",  # impossible date
        "http://www.example.cn/news/201909251301.html",  # digits run on: not a date
        "http://www.example.cn/a.html?d=20210315",  # the query is not the path
        "http://20210315.example.cn/a.html",  # nor is the host
    ],
)
def test_date_from_url_none(url: str) -> None:
    assert date_from_url(url) is None


@pytest.mark.parametrize("text", ["昨天 10:20", "3小时前", "前天", "刚刚", "今天 08:00"])
def test_relative_dates_need_a_fetch_time(text):
    # a saved page whose fetch time is unknown: the relative date cannot be placed, so no date at all
    assert parse_date(text, now=None) is None
    assert parse_date(text, now=datetime(2024, 3, 5, 12, 0, tzinfo=UTC)) is not None


@pytest.mark.parametrize(("text", "value"), [
    ("2019 09 / 07 19 : 02", "2019-09-07T19:02:00+08:00"),  # year apart, parts in separate spans
    ("2019 3/4", None),                                       # ... but only with a time: else no date
    ("共 2019 3/4 名", None),
])
def test_year_apart_from_month_day_needs_a_time(text, value):
    found = parse_date(text)
    assert (found.value if found else None) == value
