"""JSON within limits (dae_runtime.bounded_json), checked against the json module it guards."""

import json
import os
import random

import pytest

from dae_runtime.bounded_json import JSONLimitError, loads_limited, nesting_depth, read_json, read_limited


def depth_of(value) -> int:
    """The nesting depth of a parsed JSON value, the way json builds it."""
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


def random_value(rng: random.Random, depth: int):
    """Nested lists and objects whose strings hold brackets, quotes and backslashes."""
    if depth == 0 or rng.random() < 0.2:
        return rng.choice([1, 2.5, None, True, '"[{', "\\]}\\", '\\\\"[[', "]]]"])
    items = [random_value(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return items if rng.random() < 0.5 else {f"k{i}[{{": v for i, v in enumerate(items)}


def test_the_depth_found_without_recursion_is_the_json_depth():
    rng = random.Random(5)
    for _ in range(300):
        value = random_value(rng, rng.randint(0, 12))
        text = json.dumps(value, indent=rng.choice([None, 1]))
        assert nesting_depth(text) == depth_of(json.loads(text)), text


def test_too_deep_too_large_and_not_json_are_one_value_error():
    with pytest.raises(JSONLimitError, match="nests 100,000 levels deep, over the limit of 32"):
        loads_limited("[" * 100_000 + "]" * 100_000, 1 << 20)
    assert loads_limited("[" * 32 + "]" * 32, 1 << 20) is not None
    with pytest.raises(JSONLimitError, match="nests 33 levels"):
        loads_limited("[" * 33 + "]" * 33, 1 << 20)
    assert loads_limited(json.dumps({"a": "[" * 100_000}), 1 << 20) == {"a": "[" * 100_000}  # in a string: flat
    with pytest.raises(JSONLimitError, match="over the 10-byte limit"):
        loads_limited(b'{"a": 12345}', 10)
    with pytest.raises(JSONLimitError, match="not UTF-8"):
        loads_limited(b'{"a": "\xff"}', 100)
    with pytest.raises(JSONLimitError, match="Expecting"):
        loads_limited("{not json", 100)
    assert issubclass(JSONLimitError, ValueError)


def test_files_that_are_too_large_or_not_files_are_refused_unread(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(1 << 30)  # sparse: reading it would take a GB of memory
    with pytest.raises(JSONLimitError, match="1,073,741,824 bytes, over the 1,048,576-byte limit"):
        read_limited(big, 1 << 20)
    os.mkfifo(tmp_path / "pipe.json")  # no writer: reading it would wait forever
    with pytest.raises(JSONLimitError, match="not a regular file"):
        read_limited(tmp_path / "pipe.json", 1 << 20)
    with pytest.raises(JSONLimitError, match="not a regular file"):
        read_limited("/dev/zero", 1 << 20)
    with pytest.raises(FileNotFoundError):
        read_limited(tmp_path / "missing.json", 1 << 20)
    (tmp_path / "ok.json").write_text('{"files": {}}')
    assert read_json(tmp_path / "ok.json", 100) == {"files": {}}


def test_an_unterminated_string_runs_to_the_end_as_json_reads_it():
    # Brackets after an opening quote that never closes are inside the string for json.loads too. Read
    # otherwise (the string skipped only when closed), '"\"\"\"...' made the depth scan retry from every
    # quote to the end of the text: hours for 1 MiB (tests/faults/test_hostile_manifests.py, "quotes").
    assert nesting_depth('["a", "[[[[[[') == 1
    assert nesting_depth('"\\"\\"\\"[[[[') == 0
    assert nesting_depth('["\\\\", [[]]]') == 3  # an escaped backslash does not escape the quote after it
    with pytest.raises(JSONLimitError, match="Unterminated string"):
        loads_limited('"' + '\\"' * 200_000, 1 << 20)
