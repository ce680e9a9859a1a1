"""The live loop's count (benchmarks/arm_cost/live_marks.py): per-thread marks -> instructions per frame by stage;
and live_loop.py's one clear line when it cannot run. (The emulated run itself is `make arm-cost`, a benchmark.)"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks" / "arm_cost"))
import live_loop  # noqa: E402
import live_marks  # noqa: E402


def _line(tag: int, total: int, vcpu: int, own: int) -> str:
    return f"mark {tag} {total} 0 0 0 0 {total} {vcpu} {own}"


def _two_frames():
    """Two frames on thread 1 (the processing: finder and model inside process) and their captures on
    thread 2; every mark costs 10 of its own thread's instructions; thread 3 (the encoder) composes a view and
    encodes it once."""
    lines = [
        _line(1, 0, 1, 0),  # mark pair: 10 apart
        _line(2, 10, 1, 10),
        _line(3, 100, 2, 50),  # capture 0: 200 (210 with its end mark)
        _line(4, 400, 2, 260),
        _line(5, 500, 1, 100),  # window start
        _line(6, 510, 1, 110),  # process 0 start
        _line(7, 600, 1, 200),  # finder 0: 90 (+ its end mark)
        _line(8, 700, 1, 300),
        _line(9, 800, 1, 400),  # model 0: 190 + 10
        _line(10, 1000, 1, 600),
        _line(11, 1200, 1, 800),  # process 0 end: 800 - 110 = 690, less 5 marks inside = 640
        _line(12, 1300, 2, 400),  # capture 1: 300 + 10
        _line(13, 1610, 2, 710),
        _line(17, 1650, 3, 0),  # the view composed for the encoder: 50 + 10
        _line(18, 1710, 3, 60),
        _line(14, 1720, 3, 70),  # encode: 1000 + 10
        _line(15, 2730, 3, 1080),
        _line(16, 2800, 1, 900),  # window end: whole = 2800 - 500 - 13 marks * 10
    ]
    stages = {
        "stages": {
            "capture": [[3, 4], [12, 13]],
            "process": [[6, 11]],
            "finder": [[7, 8]],
            "model": [[9, 10]],
            "encode": [[14, 15]],
            "view": [[17, 18]],
        },
        "window": [5, 16],
        "mark_pairs": [[1, 2]],
    }
    return live_marks.parse("\n".join(lines)), stages


def test_mark_cost_and_net_take_out_the_marks():
    marks, stages = _two_frames()
    assert live_marks.mark_cost(marks, stages["mark_pairs"]) == 10
    assert live_marks.net(marks, [3, 4], 10) == 200
    assert live_marks.net(marks, [6, 11], 10) == 690 - 50  # its own end and the four inner marks


def test_per_frame_splits_the_window_by_stage():
    marks, stages = _two_frames()
    result = live_marks.per_frame(marks, stages, (0, 1))
    assert result["total"] == 2800 - 500 - 13 * 10
    assert result["capture"] == 200 and result["finder"] == 90 and result["model"] == 190
    assert result["compose"] == 640 - 90 - 190 + 50  # the rest of process, and the view composed for the encoder
    assert result["encode"] == 1000 and result["encoded_per_frame"] == 1
    assert result["other"] == pytest.approx(result["total"] - (200 + 90 + 0 + 190 + 410 + 1000))


def test_parse_skips_lines_without_the_thread_columns():
    text = "mark 1 5 0 0 0 0 5\nmark exit 9 0 0 0 0 9 0 9\n" + _line(2, 7, 1, 3)
    assert list(live_marks.parse(text)) == [2]


def test_the_live_loop_not_as_root_is_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys.modules["run"].os, "geteuid", lambda: 1000)
    out = ["--json", str(tmp_path / "a.json"), "--markdown", str(tmp_path / "a.md")]
    assert live_loop.main(out) == 2
    assert not list(tmp_path.iterdir())  # nothing written
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["arm-cost: cannot run: needs root (apt-get for the QEMU build, chroot and mount namespaces for the "
                   "arm64 root)"]  # fmt: skip


def test_the_live_loop_names_an_unknown_cpu_in_one_line(capsys):
    assert live_loop.main(["--cpus", "cortex-a53"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "arm-cost: unknown CPU model cortex-a53 (choose from cortex-a72, cortex-a76)"
    ]
