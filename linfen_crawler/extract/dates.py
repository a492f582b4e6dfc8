"""Publication dates from meta lines and URLs.

``parse_date`` finds the first valid date in a piece of text (a whole meta line is fine) and returns it at
the precision the page shows: ``YYYY-MM-DDTHH:MM:SS+08:00`` when a time is shown (``:00`` seconds when only
minutes are shown), ``YYYY-MM-DD`` when only a date is shown, and on request ``YYYY-MM`` when only a year
and a month are. It never invents a time or a day and never guesses a missing year. Relative dates (刚刚,
3小时前, 昨天 10:20 …) are resolved against ``now``.

>>> parse_date("2017-12-30 09:23:58 来源：临汾新闻网 浏览次数：").value
'2017-12-30T09:23:58+08:00'
>>> parse_date("发布时间：2021年03月05日").value
'2021-03-05'
>>> parse_date("10月15日") is None
True
>>> date_from_url("http://www.sxycrb.com/2021-03/15/content_1.html").value
'2021-03-15'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from linfen_crawler.normalize import fold_width

__all__ = ["MAX_YEAR", "MIN_YEAR", "DateMatch", "date_from_url", "parse_date"]

#: Years accepted in URLs (text dates accept any year 1900..2099 written with four digits).
MIN_YEAR = 1995
MAX_YEAR = 2035


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date found in text: the normalised ``value`` and the ``text`` it was read from (width-folded)."""

    value: str
    text: str


# Time of day: 10:19, 10:19:00, 10时19分, 10时19分00秒; "T" allowed between date and time (ISO).
_TIME = (
    r"(?:\s*|T)(?P<H>[01]?\d|2[0-3])(?:[:]|时)(?P<M>[0-5]\d)(?:分)?"
    r"(?:(?::|(?<=分))(?P<S>[0-5]\d)(?:\.\d+)?秒?)?"
    r"(?!\d)"
)
# the same, with spaces around the colon (stacked templates print '19 : 02' in separate spans)
_TIME_SPACED = r"\s*(?P<H>[01]?\d|2[0-3])\s*:\s*(?P<M>[0-5]\d)(?:\s*:\s*(?P<S>[0-5]\d))?(?!\d)"
_OFFSET = r"(?P<tz>Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?"
#: Rule D12: a weekday between the date and the time (2023年12月1日 星期五 10:20) belongs to the date
_WEEKDAY = r"(?:\s*[(（]?\s*(?:星期|周|礼拜)[一二三四五六日天]\s*[)）]?(?=\s*(?:[01]?\d|2[0-3])[:时]))?"
_YEAR4 = r"(?<!\d)(?P<y>(?:19|20)\d\d)"

_ABSOLUTE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # 2011-10-15 10:19:00 / 2011/10/15 / 2011.10.15 (the same separator twice), ISO 8601 with offset
    re.compile(_YEAR4 + r"(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)" + _WEEKDAY
               + f"(?:{_TIME}{_OFFSET})?"),
    # 2011年10月15日 10:19 (spaces allowed around the units; 日 may be missing before a time)
    re.compile(_YEAR4 + r"\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})(?!\d)\s*(?:日|号)?" + _WEEKDAY
               + f"(?:{_TIME})?"),
    # '2019 09/07 19:02' — a year shown apart from month/day (templates that stack them on lines)
    # (also '2019 09 / 07 19 : 02', the parts in separate spans)
    # the time is required here: a bare '2019 3/4' in running text is no date
    re.compile(_YEAR4 + r"\s+(?P<m>\d{1,2})\s*/\s*(?P<d>\d{1,2})(?!\d)" + _TIME_SPACED),
    # '18-03-08 23:16' — a two-digit year, accepted only with a time (else MM-DD and YY-MM-DD look alike)
    re.compile(r"(?<![\d\-/.])(?P<yy>\d\d)-(?P<m>\d\d)-(?P<d>\d\d)(?![\d\-])" + _TIME),
    # Rule D10: a compact date '20231201' after a date or publish label (发布日期：20231201 10:20), or as the
    # whole text (a date-classed element); eight digits elsewhere are as often an id or a phone number
    re.compile(r"(?:(?<=日期)|(?<=时间)|(?<=发布)|(?<=发表)|(?<=更新)|(?<=刊发)|(?<=布于)|(?<=表于)|^)\s*[:：]?\s*"
               r"(?P<y>(?:19|20)\d\d)(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)" + f"(?:{_TIME})?"),
)
#: Rule D11: a year and a month only (2023年12月, 2023-12, 2023.12): a monthly column or an old archive
#: page shows no day; used only when the text shows no full date
_MONTH_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(_YEAR4 + r"\s*年\s*(?P<m>1[0-2]|0?[1-9])\s*月(?!\s*\d)"),
    re.compile(r"(?<![\d\-/.])(?P<y>(?:19|20)\d\d)(?P<sep>[-/.])(?P<m>1[0-2]|0[1-9])(?![\d\-/.])"),
)

_RELATIVE_RE = re.compile(
    r"(?P<now>刚刚)"
    r"|(?P<n>\d{1,4})\s*(?P<unit>秒|分钟|分|小时|个小时|天|日)前"
    r"|(?P<day>今天|今日|昨天|昨日|前天)(?:\s*(?P<H>[01]?\d|2[0-3]):(?P<M>[0-5]\d)(?::(?P<S>[0-5]\d))?(?!\d))?"
)
_RELATIVE_DAYS: dict[str, int] = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
_RELATIVE_UNITS: dict[str, timedelta] = {
    "秒": timedelta(seconds=1),
    "分": timedelta(minutes=1),
    "分钟": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "个小时": timedelta(hours=1),
}

_URL_PATTERNS: tuple[re.Pattern[str], ...] = (
    # /2021-03/15/content_1.html, /2021-03-15/…, /2021/03/15/…
    re.compile(r"(?<![\d])(?P<y>\d{4})(?P<sep>[-/_])(?P<m>\d{2})(?:(?P=sep)|/)(?P<d>\d{2})(?=[/_.\-]|$)"),
    # /202103/15/…
    re.compile(r"(?<=/)(?P<y>\d{4})(?P<m>\d{2})/(?P<d>\d{2})(?=[/_.\-]|$)"),
    # /2021/0315/…
    re.compile(r"(?<=/)(?P<y>\d{4})/(?P<m>\d{2})(?P<d>\d{2})(?=[/_.\-]|$)"),
    # /20210315/…, t20210315_123.html, 20210315_123.html
    re.compile(r"(?:(?<=/)|(?<=/t)|(?<=_))(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?=[/_.\-]|$)"),
)


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _format(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _parse_offset(raw: str) -> timedelta:
    if raw == "Z":
        return timedelta(0)
    sign = -1 if raw[0] == "-" else 1
    digits = raw[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def _absolute(match: re.Match[str], zone: ZoneInfo) -> DateMatch | None:
    groups = match.groupdict()
    year = int(groups["y"]) if groups.get("y") else 2000 + int(groups["yy"])
    day = _valid_date(year, int(groups["m"]), int(groups["d"]))
    if day is None:
        return None
    text = match.string[match.start("y") if groups.get("y") else match.start():match.end()].strip()
    if groups.get("H") is None:
        return DateMatch(day.isoformat(), text)
    moment = datetime(day.year, day.month, day.day, int(groups["H"]), int(groups["M"]), int(groups["S"] or 0))
    if groups.get("tz"):
        local = moment.replace(tzinfo=timezone(_parse_offset(groups["tz"]))).astimezone(zone)
    else:
        local = moment.replace(tzinfo=zone)
    return DateMatch(_format(local), text)


def _relative(match: re.Match[str], now: datetime) -> DateMatch:
    text = match.group(0).strip()
    if match.group("now"):
        return DateMatch(_format(now), text)
    if match.group("n"):
        amount = int(match.group("n"))
        unit = match.group("unit")
        if unit in ("天", "日"):
            return DateMatch((now.date() - timedelta(days=amount)).isoformat(), text)
        return DateMatch(_format(now - amount * _RELATIVE_UNITS[unit]), text)
    day = now.date() - timedelta(days=_RELATIVE_DAYS[match.group("day")])
    if match.group("H") is None:
        return DateMatch(day.isoformat(), text)
    moment = datetime(
        day.year,
        day.month,
        day.day,
        int(match.group("H")),
        int(match.group("M")),
        int(match.group("S") or 0),
        tzinfo=now.tzinfo,
    )
    return DateMatch(_format(moment), text)


def parse_date(text: str, *, now: datetime | None = None, tz: str = "Asia/Shanghai",
               partial: bool = False) -> DateMatch | None:
    """Return the first valid date shown in ``text``, or None.

    ``text`` may be a whole meta line (``'2017-12-30 09:23:58 来源：临汾新闻网'``, ``'发布时间：2021年03月05日
    08:30'``); it is width-folded first, so full-width digits and colons work. Absolute dates need a
    four-digit year (a two-digit year only in ``YY-MM-DD HH:MM``); a date without a year gives None, an
    impossible date (2011-13-45) is skipped. ISO times with an offset or ``Z`` are converted to ``tz``.
    Relative dates (刚刚, N秒/分钟/小时/天前, 今天/昨天/前天 [HH:MM]) are resolved against ``now``, the fetch
    time (an aware datetime, converted to ``tz``). With ``now=None`` — a saved page whose fetch time is
    unknown — a relative date cannot be placed and is not a date (never today's date by accident).
    With ``partial``, a text that shows no full date but a year and a month (``2023年12月``) gives
    ``YYYY-MM`` (Rule D11: the date at the precision shown).
    Raises ``ZoneInfoNotFoundError`` for an unknown ``tz``.
    """
    zone = _zone(tz)
    folded = fold_width(text)
    candidates: list[tuple[int, int, DateMatch]] = []
    for order, pattern in enumerate(_ABSOLUTE_PATTERNS):
        for match in pattern.finditer(folded):
            found = _absolute(match, zone)
            if found is not None:
                candidates.append((match.start(), order, found))
                break
    relative = _RELATIVE_RE.search(folded) if now is not None else None
    if relative is not None and now is not None:
        current = now.astimezone(zone)
        candidates.append((relative.start(), len(_ABSOLUTE_PATTERNS), _relative(relative, current)))
    if not candidates:
        return _year_month(folded) if partial else None
    return min(candidates, key=lambda c: (c[0], c[1]))[2]


def _year_month(folded: str) -> DateMatch | None:
    """Rule D11: the first year and month shown (``2023年12月`` → ``2023-12``), or None."""
    found: list[tuple[int, DateMatch]] = []
    for pattern in _MONTH_PATTERNS:
        match = pattern.search(folded)
        if match is not None:
            found.append((match.start(), DateMatch(f"{match['y']}-{int(match['m']):02d}", match.group(0).strip())))
    return min(found, key=lambda f: f[0])[1] if found else None


def date_from_url(url: str) -> DateMatch | None:
    """Return the date encoded in a URL path (date only), or None.

    Recognised: ``/2021-03/15/…``, ``/2021/03/15/…``, ``/2021-03-15/…``, ``/202103/15/…``, ``/2021/0315/…``,
    ``/20210315/…``, ``t20210315_123.html``. Years outside ``MIN_YEAR..MAX_YEAR`` and impossible dates are
    ignored. ``text`` is the matched fragment of the path.
    """
    path = url.split("?", 1)[0].split("#", 1)[0]
    scheme_end = path.find("://")
    if scheme_end != -1:
        slash = path.find("/", scheme_end + 3)
        path = path[slash:] if slash != -1 else ""
    best: tuple[int, DateMatch] | None = None
    for pattern in _URL_PATTERNS:
        for match in pattern.finditer(path):
            year = int(match.group("y"))
            if not MIN_YEAR <= year <= MAX_YEAR:
                continue
            day = _valid_date(year, int(match.group("m")), int(match.group("d")))
            if day is None:
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), DateMatch(day.isoformat(), match.group(0)))
            break
    return best[1] if best else None
