"""The profile loader: valid profiles load; a bad one names the file and the key."""

from __future__ import annotations

import pytest

from linfen_crawler.profiles import ProfileError, all_profiles, load_file, load_profile

GOOD = """
key = "demo"
name = "示例新闻网"
domains = ["example.cn"]
start_urls = ["http://www.example.cn/news/"]
"""


def write(tmp_path, text):
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
])
def test_bad_values_name_file_and_key(tmp_path, extra, message):
    text = GOOD.replace('timezone = "Asia/Shanghai"\n', "")
    top_level = extra.startswith(("timezone", "encoding", "colour"))  # keys before the first [table]
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
