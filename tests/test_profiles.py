"""The profile loader: valid profiles load; a bad one names the file and the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_linfen

from linfen_crawler.profiles import ProfileError, all_profiles, load_file, load_profile

GOOD = """
key = "demo"
name = "示例新闻网"
domains = ["example.cn"]
start_urls = ["http://www.example.cn/news/"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_profile_loads_with_defaults(tmp_path):
    p = load_file(write(tmp_path, GOOD))
    assert (p.key, p.name, p.timezone, p.list.max_pages, p.article.title) == ("demo", "示例新闻网",
                                                                             "Asia/Shanghai", 50, ())
    assert p.allows("www.example.cn") and p.allows("example.cn") and not p.allows("badexample.cn")


@pytest.mark.parametrize(("extra", "message"), [
    ("", None),
    ('[list]\narticle_links = "//ul/li/a[@href"', "[list] article_links: invalid XPath"),
    ("[list]\narticle_url = '(unclosed'", "[list] article_url: invalid regular expression"),
    ("[list]\nmax_pages = 0", "[list] max_pages: must be at least 1"),
    ("[list]\nmax_pages = \"ten\"", "[list] max_pages: expected an integer"),
    ("colour = 'red'", "colour: unknown key"),
    ("[article]\nbody = 3", "[article] body: expected a string or a list"),
    ("[article]\nheadline = '//h1'", "[article] headline: unknown key"),
    ("[article]\ntitle = ['//h1', '//h2[']", "[article] title: invalid XPath '//h2['"),
    ("[article]\nurl_template = '{aid}.html'", "[article] url_template: {aid} has no entry in url_parts"),
    ('timezone = "Mars/Olympus"', "timezone: unknown time zone"),
    ('encoding = "klingon"', "encoding: unknown encoding"),
    # issue 15: patterns are RE2, validated when the profile loads; values that used to raise other errors
    ("[list]\narticle_url = '(\\d+)/\\1'", "[list] article_url: invalid regular expression"),
    ("[list]\narticle_url = '^(?!.*index).*html$'", "[list] article_url: invalid regular expression"),
    ("[list]\narticle_url = '(a+)+$'", None),  # valid: RE2 matches it in linear time
    ("[article]\nurl_template = '{aid}'\nurl_parts.aid = ['//a/@href', '(?<=aid=)\\d+']",
     "[article] url_parts.aid: invalid regular expression"),
    ("[article]\nurl_template = '{aid!r}.html'\nurl_parts.aid = '//a/@href'", "{aid} takes no format spec"),
    ("[article]\nurl_template = '{aid.html'\nurl_parts.aid = '//a/@href'", "[article] url_template: invalid"),
    ("[list]\nnext_pages = 'index_{page}.html{n}'", "[list] next_pages: {page} is not {n}"),
    ('[article]\ntitle = "//h1\\u0001"', "[article] title: invalid XPath"),
    ('timezone = "Asia"', "timezone: unknown time zone 'Asia'"),
    ('timezone = "' + "x" * 300 + '"', "timezone: unknown time zone"),
    ('encoding = "undefined"', "encoding: unknown encoding"),
    ('encoding = "utf\\u0000"', "encoding: unknown encoding"),
    ("download_delay = nan", "download_delay: must be a number of seconds"),
    ("download_delay = inf", "download_delay: must be a number of seconds"),
    ("download_delay = -1", "download_delay: must be a number of seconds"),
])
def test_bad_values_name_file_and_key(tmp_path, extra, message):
    text = GOOD.replace('timezone = "Asia/Shanghai"\n', "")
    top_level = extra.startswith(("timezone", "encoding", "colour", "download_delay"))  # keys before the first [table]
    text = f"{extra}\n{text}" if top_level else f"{text}\n{extra}"
    path = write(tmp_path, text)
    if message is None:
        load_file(path)
        return
    with pytest.raises(ProfileError) as err:
        load_file(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace('key = "demo"\n', ""), "key: missing (required)"),
    (GOOD.replace('domains = ["example.cn"]\n', ""), "domains: missing (required)"),
    (GOOD.replace('key = "demo"', 'key = "Demo Site"'), "key: 'Demo Site' must be"),
    (GOOD.replace("http://www.example.cn/news/", "www.example.cn/news/"), "is not an absolute http(s) URL"),
    ("key = ", "malformed TOML"),
])
def test_structural_errors(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ProfileError, match=None) as err:
        load_file(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_unknown_site_lists_known_ones():
    with pytest.raises(ProfileError) as err:
        load_profile("nosuchsite")
    assert "unknown site 'nosuchsite'" in str(err.value) and "lfxww" in str(err.value)


def test_bundled_lfxww_profile_covers_the_known_sections():
    p = load_profile("lfxww")
    paths = {u.split("lfxww.com", 1)[1] for u in p.start_urls}
    assert paths == {"/shanxi/", "/linfen/shizheng/", "/linfen/xnc/", "/linfen/fzsh/", "/linfen/kjww/",
                     "/linfen/glps/", "/linfen/djll/", "/linfen/pyrw/", "/linfen/ft/"}
    assert set(p.sections) == set(p.start_urls)
    assert p.list.article_url is not None
    for url, ok in [("http://www.lfxww.com/linfen/djll/93512.html", True),
                    ("http://www.lfxww.com/shanxi/100.html", True),
                    ("http://www.lfxww.com/plus/view.php?aid=4711", True),
                    ("http://www.lfxww.com/linfen/djll/93512_2.html", False),
                    ("http://www.lfxww.com/linfen/djll/index_1.html", False),
                    ("http://www.example.com/linfen/djll/93512.html", False)]:
        assert bool(p.list.article_url.search(url)) is ok, url


def test_extra_profile_dir_overrides_and_adds(tmp_path, monkeypatch):
    write(tmp_path, GOOD)
    monkeypatch.setenv("LINFEN_PROFILE_DIRS", str(tmp_path))
    profiles = all_profiles()
    assert "demo" in profiles and "lfxww" in profiles


# -- issue 15: hostile profiles ------------------------------------------------------------------------------
def test_catastrophic_pattern_is_matched_in_linear_time(tmp_path):
    # Python's re needs ~2**n steps for (a+)+$ on n a's and a mismatch: at n = 100_000, longer than the
    # universe has existed. RE2 answers in one pass.
    p = load_file(write(tmp_path, GOOD + "[list]\narticle_url = '(a+)+$'\n"))
    assert p.list.article_url is not None and not isinstance(p.list.article_url, re.Pattern)
    assert p.list.article_url.search("a" * 100_000 + "!") is None
    assert p.list.article_url.search("http://x/" + "a" * 100_000) is not None


def test_url_parts_pattern_keeps_its_group(tmp_path):
    p = load_file(write(tmp_path, GOOD + "[article]\nurl_template = '{aid}.html'\n"
                        "url_parts.aid = ['//script/@src', 'aid=(\\d+)']\n"))
    _, regex = p.article.url_parts["aid"]
    assert regex is not None
    m = regex.search("/count.php?aid=93512&mid=1")
    assert m is not None and m.groups() == ("93512",) and m.group(1) == "93512" and m.group(0) == "aid=93512"


@pytest.mark.parametrize("key", ["lfxww", "sxycrb", "jcnews", "changzhinews"])
def test_bundled_patterns_mean_the_same_under_re2(key):
    p = load_profile(key)
    assert p.list.article_url is not None
    python_re = re.compile(p.list.article_url.pattern)
    urls = [*p.start_urls, *(u + "12345.html" for u in p.start_urls), *(u + "index_1.html" for u in p.start_urls),
            "http://www.lfxww.com/linfen/djll/93512.html", "http://www.lfxww.com/plus/view.php?aid=4711",
            "http://www.sxycrb.com/2023-05/12/content_123456.html", "http://www.sxycrb.com/2023-05/12/node_2.html",
            "http://www.jcnews.com.cn/xwzx/jcxw/202305/t20230512_123456.html",
            "https://www.changzhinews.com/changzhi/news/2023-05-12/123456.html",
            "https://www.changzhinews.com/changzhi/news/123456.htm", "http://example.com/1.html"]
    matched = {u for u in urls if p.list.article_url.search(u)}
    assert matched == {u for u in urls if python_re.search(u)}
    assert matched  # the table reaches the pattern's accepting side too


def test_profile_with_invalid_utf8_is_one_error(tmp_path):
    path = tmp_path / "p.toml"
    path.write_bytes(GOOD.replace("示例新闻网", "示例").encode("utf-8") + b'facts = "\xb2\xe2\xca\xd4"\n')
    with pytest.raises(ProfileError) as err:
        load_file(path)
    assert str(err.value) == f"{path}: not UTF-8 text (byte 0xb2 on line 6); save the profile as UTF-8"


def test_folder_named_like_a_profile_is_one_error(tmp_path, monkeypatch):
    (tmp_path / "x.toml").mkdir()
    with pytest.raises(ProfileError, match=r"x\.toml: is a folder, not a profile file"):
        load_file(tmp_path / "x.toml")
    monkeypatch.setenv("LINFEN_PROFILE_DIRS", str(tmp_path))
    with pytest.raises(ProfileError, match=r"x\.toml: is a folder"):
        all_profiles()


def test_deeply_nested_toml_is_one_error(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(GOOD + "facts = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="malformed TOML"):
        load_file(path)


@pytest.mark.parametrize(("name", "content", "needles"), [
    ("latin.toml", GOOD.encode("gbk"), ("latin.toml", "not UTF-8 text")),
    ("x.toml", None, ("x.toml", "is a folder")),
    ("backref.toml", (GOOD + "[list]\narticle_url = '(\\w+)\\1'\n").encode(),
     ("backref.toml", "[list] article_url: invalid regular expression", "RE2")),
])
def test_linfen_sites_reports_hostile_profiles_in_one_line(tmp_path, name, content, needles):
    folder = tmp_path / "profiles"
    folder.mkdir()
    if content is None:
        (folder / name).mkdir()
    else:
        (folder / name).write_bytes(content)
    proc = run_linfen("sites", env={"LINFEN_PROFILE_DIRS": str(folder)})
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
