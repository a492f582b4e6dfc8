"""Egg build for Scrapyd (`scrapyd-deploy`), which runs `python setup.py bdist_egg`.

The package itself is built by hatchling from pyproject.toml (`pip install .`). Scrapyd needs an egg, and the
setup.py scrapyd-client would generate packs no package data — the site profiles (TOML) and the sample
portal's data would be missing. This one ships them. Test: tests/test_jobs_scrapyd.py.
"""

from setuptools import find_packages, setup

setup(
    name="linfen-crawler",
    version="0.1.0",
    packages=find_packages(include=["linfen_crawler", "linfen_crawler.*"]),
    package_data={"linfen_crawler": ["profiles/*.toml", "demo/*.json", "demo/*.html", "datasette/*",
                                     "datasette/**/*"]},
    zip_safe=False,
    # entry points (scrapy settings for Scrapyd) come from pyproject.toml, which setuptools reads too
)
