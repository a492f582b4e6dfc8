"""A Scrapy job directory belongs to one dataset (issue 14): `<db>.jobs/<site>`, beside `<db>.locks/`, so two
datasets in one folder resume independently. `LINFEN_JOBS_DIR` still moves them."""

from __future__ import annotations

from pathlib import Path

from conftest import crawl

from linfen_crawler.demo.server import DemoServer
from linfen_crawler.scheduled.locks import jobs_root, resumable


def test_each_dataset_has_its_own_job_directories(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    assert jobs_root(a) == tmp_path / "a.db.jobs"
    assert jobs_root(b) == tmp_path / "b.db.jobs"
    assert jobs_root(a, str(tmp_path / "elsewhere")) == tmp_path / "elsewhere"  # LINFEN_JOBS_DIR


def test_two_datasets_in_one_folder_resume_independently(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    saved = jobs_root(a) / "lfxww"  # a gracefully stopped run of lfxww into a.db left its queue here
    (saved / "requests.queue").mkdir(parents=True)
    (saved / "requests.queue" / "active.json").write_text("[]", "utf-8")
    assert resumable(saved)
    with DemoServer() as server:
        other = crawl(server, b)  # a fresh run of the same site into another dataset of the folder
        assert other.returncode == 0, other.stderr[-3000:]
        assert resumable(saved), "a run into b.db removed the job directory a.db's run is to resume from"
        assert not (jobs_root(b) / "lfxww").exists()  # b's finished run removed its own
        resumed = crawl(server, a, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "nothing to resume" not in resumed.stderr
    assert not saved.exists()  # the resumed run finished: its job directory is gone
