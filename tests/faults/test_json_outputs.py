"""Reports, benchmark results and the best model go through atomic.write_json / atomic_path: a full
disk mid-write raises, and the earlier file stays whole with no temporary file left beside it."""

import json

import pytest
from fault_tools import fill_disk

from dae_runtime.atomic import write_json


def test_a_full_disk_keeps_the_earlier_json(small_disk):
    target = small_disk / "compare.json"
    write_json(target, {"run": 1})
    fill_disk(small_disk, 4096)
    with pytest.raises(OSError) as info:
        write_json(target, {"rows": ["x" * 1000] * 100})  # 100 KB: cannot fit
    assert info.value.errno == 28  # ENOSPC, from the real (tmpfs) disk
    assert json.loads(target.read_text()) == {"run": 1}
    assert sorted(p.name for p in small_disk.iterdir()) == ["compare.json", "filler"]
