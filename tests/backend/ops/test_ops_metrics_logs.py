"""The metrics store, its multi-process files and text format; JSON logs with secrets hidden."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from backend.config import Settings
from backend.logging_setup import HANDLER_NAME, JsonFormatter, configure_logging
from backend.ops import metrics
from backend.ops.metrics import (
    HTTP_LATENCY,
    HTTP_REQUESTS,
    RULE_EVALUATIONS,
    Recorder,
    Store,
    render_store,
    time_rule_evaluation,
)


def test_every_process_file_is_summed(tmp_path: Path) -> None:
    mine = Recorder()
    mine.configure(tmp_path)
    mine.add(HTTP_REQUESTS, {"route": "/x", "method": "GET", "status": "200"}, 2)
    other = Store()  # another worker's file
    other.add(HTTP_REQUESTS, (("method", "GET"), ("route", "/x"), ("status", "200")), 5)
    (tmp_path / "99999.json").write_text(other.dump())
    (tmp_path / "broken.json").write_text("{not json")
    text = "\n".join(render_store(mine.collect()))
    assert 'tocsin_http_requests_total{method="GET",route="/x",status="200"} 7' in text


def test_a_burst_is_written_soon_after_it_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics, "FLUSH_EVERY", 0.05)
    recorder = Recorder()
    recorder.configure(tmp_path)
    for _ in range(10):
        recorder.add(HTTP_REQUESTS, {"route": "/y"})
    time.sleep(0.5)
    written = Store.load(next(tmp_path.glob("*.json")).read_text())
    assert written.values[HTTP_REQUESTS.name] == {(("route", "/y"),): [10.0]}


def test_histogram_buckets_are_cumulative_and_labels_escaped() -> None:
    recorder = Recorder()
    for seconds in (0.004, 0.2, 42.0):
        recorder.add(HTTP_LATENCY, {"route": 'a"b\\c\nd', "method": "GET"}, seconds)
    lines = render_store(recorder.collect())
    label = 'method="GET",route="a\\"b\\\\c\\nd"'
    assert f'tocsin_http_request_duration_seconds_bucket{{{label},le="0.005"}} 1' in lines
    assert f'tocsin_http_request_duration_seconds_bucket{{{label},le="0.25"}} 2' in lines
    assert f'tocsin_http_request_duration_seconds_bucket{{{label},le="+Inf"}} 3' in lines
    assert f"tocsin_http_request_duration_seconds_count{{{label}}} 3" in lines


def test_rule_evaluation_hook_counts_successes_and_failures() -> None:
    recorder = Recorder()
    with time_rule_evaluation(recorder):
        pass
    with pytest.raises(ValueError), time_rule_evaluation(recorder):
        raise ValueError("boom")
    series = recorder.collect().values[RULE_EVALUATIONS.name]
    assert series == {(("outcome", "ok"),): [1.0], (("outcome", "failed"),): [1.0]}


def test_json_log_lines_hide_tokens_and_secret_fields() -> None:
    record = logging.makeLogRecord(
        {"name": "tocsin.test", "levelname": "INFO", "levelno": 20,
         "msg": "token %s used", "args": ("tocsin_abcdefghijklmnop",),
         "password": "hunter2", "source": "worldbank"}
    )  # fmt: skip
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "token tocsin_[redacted] used"
    assert entry["password"] == "[redacted]" and entry["source"] == "worldbank"
    assert {"time", "level", "logger", "process"} <= set(entry)


def test_configure_logging_keeps_one_handler_of_ours(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    before = root.level
    try:
        for _ in range(2):
            configure_logging(Settings(log_format="json"))
        ours = [h for h in root.handlers if h.get_name() == HANDLER_NAME]
        assert len(ours) == 1 and isinstance(ours[0].formatter, JsonFormatter)
    finally:
        root.handlers = [h for h in root.handlers if h.get_name() != HANDLER_NAME]
        root.setLevel(before)
