"""Precision and recall of the digit finder's boxes on desk-webcam scenes with known digit boxes.

Scenes (dae_runtime.scenes): 12 real handwritten digits (the builtin MNIST digits) as ink on a
640x480 page, one condition each (plain, ruled and grid paper, blue ballpoint, pencil, hard and
soft shadows, dim light, a washed-out low-contrast camera, glare, a tilted page, motion blur,
MJPEG), at noise sigma 0, 0.1, 0.2 and 0.3 (0..1 scale, added by the camera before any JPEG).
The same scenes (seeds) at every noise level and for every finder. A found box matches a true
box when their intersection over union is >= 0.5, each box used once (dae_runtime.scenes.matched).

Tune with --digits train (the 4,500 builtin training digits); report with --digits validation
(the 500 validation digits, other scene seeds too).

    .venv/bin/python benchmarks/digit_finder.py [--digits validation] [--pages 40] [--finder-ref main]

--kept-light also measures the live loop's finder (dae_runtime.live.kept_light) reading each scene in the light
read on the same scene 2 pixels away, as on a frame after the one whose light it keeps (the light always kept:
its worst case). --finder-ref REF also measures digits.py as it was at git REF (its extract_digits, every digit it
keeps) on the same scenes, for a before/after. A second table keeps the older check of generated
font digits with non-digit marks (specks, smudges, blots) between them (synthetic.paper_page).

Writes benchmarks/results/digit_finder.json (with --digits train: digit_finder_train.json; with
--finder-ref REF: digit_finder[_train]_vs_REF.json, so `make bench` does not overwrite a before/after).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from dae_runtime.atomic import write_json
from dae_runtime.digits import find_digit_boxes
from dae_runtime.scenes import CONDITIONS, condition, matched, render_scene
from dae_runtime.synthetic import paper_page, synthetic_digits

Finder = Callable[[np.ndarray], list]
SEED_BASE = {"train": 0, "validation": 500_000}  # tuning and reporting scenes never share a seed


def old_finder(ref: str) -> Finder:
    """The boxes of extract_digits in digits.py at git `ref`, given a BGR frame (as `dae live` gave it gray)."""
    from live_fps import finder_at  # benchmarks/ is on sys.path when a script in it runs

    extract = finder_at(ref)
    return lambda frame: [c.box for c in extract(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), max_digits=64)[1]]


def kept_light_finder(frame: np.ndarray) -> list:
    """The live loop's boxes for `frame` read in the light of the frame 2 pixels before it."""
    from dae_runtime.live.kept_light import KeptLightFinder, LightRules

    finder = KeptLightFinder(64, LightRules(max_move=float("inf")))
    finder.find(np.roll(frame, (2, 2), axis=(0, 1)))
    return [c.box for c in finder.find(frame)[1]]


def score(rows: dict, key: tuple, found: list, truth: list) -> None:
    row = rows.setdefault(key, {"digits": 0, "found": 0, "matched": 0})
    row["digits"] += len(truth)
    row["found"] += len(found)
    row["matched"] += matched(found, truth)


def finalize(rows: dict, names: tuple[str, ...]) -> list[dict]:
    out = []
    for key, r in rows.items():
        precision, recall = round(r["matched"] / max(r["found"], 1), 4), round(r["matched"] / r["digits"], 4)
        out.append(dict(zip(names, key, strict=True)) | r | {"precision": precision, "recall": recall})
    return out


def measure_scenes(digits: np.ndarray, seed_base: int, pages: int, noises, conditions, finders: dict) -> list[dict]:
    rows: dict = {}
    for ci, name in enumerate(conditions):
        for noise in noises:
            for p in range(pages):
                frame, truth = render_scene(digits, condition(name, noise), seed=seed_base + 1000 * ci + p)
                for label, finder in finders.items():
                    score(rows, (name, noise, label), finder(frame), truth)
    return finalize(rows, ("condition", "noise", "finder"))


def measure_clutter(pages: int, noises, finders: dict) -> list[dict]:
    """Font digits on unevenly lit paper with 6 specks, faint smudges and blots between them (issue 11)."""
    rows: dict = {}
    for noise in noises:
        rng = np.random.default_rng(1000 + int(100 * noise))
        for p in range(pages):
            shift = (int(rng.integers(0, 9)), int(rng.integers(0, 9)))
            page, truth = paper_page(synthetic_digits(12, seed=p), (480, 640), 3, shift, clutter=6, seed=p)
            gray = page[:, :, 0].astype(np.float32) / 255.0 + rng.normal(0.0, noise, page.shape[:2])
            frame = cv2.cvtColor((np.clip(gray, 0, 1) * 255 + 0.5).astype(np.uint8), cv2.COLOR_GRAY2BGR)
            for label, finder in finders.items():
                score(rows, ("font digits + clutter", noise, label), finder(frame), truth)
    return finalize(rows, ("condition", "noise", "finder"))


def table(rows: list[dict], finders: list[str]) -> str:
    head = "| condition | noise | digits | " + " | ".join(f"P {f} | R {f}" for f in finders) + " |"
    lines = [head, "|---|---:|---:|" + "---:|---:|" * len(finders)]
    by_key = {(r["condition"], r["noise"], r["finder"]): r for r in rows}
    for cond, noise in dict.fromkeys((r["condition"], r["noise"]) for r in rows):
        cells = [by_key[(cond, noise, f)] for f in finders]
        pr = " | ".join(f"{c['precision']:.3f} | {c['recall']:.3f}" for c in cells)
        lines.append(f"| {cond} | {noise:.1f} | {cells[0]['digits']} | {pr} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--digits", choices=tuple(SEED_BASE), default="validation", help="builtin digits to draw")
    parser.add_argument("--pages", type=int, default=40, help="scenes per condition and noise level")
    parser.add_argument("--noise", default="0,0.1,0.2,0.3", help="noise sigmas, comma-separated")
    parser.add_argument("--conditions", default=",".join(CONDITIONS), help="comma-separated (see scenes.CONDITIONS)")
    parser.add_argument("--finder-ref", default=None, help="also measure digits.py from this git ref")
    parser.add_argument("--kept-light", action="store_true", help="also measure the live loop's kept-light finder")
    args = parser.parse_args()
    from dae_train.data import load_mnist  # the benchmark has the full install; the runtime does not need it

    splits = load_mnist("builtin")
    digits = (splits.train if args.digits == "train" else splits.validation).images
    finders: dict[str, Finder] = {"now": find_digit_boxes}
    if args.finder_ref:
        finders = {args.finder_ref: old_finder(args.finder_ref)} | finders
    if args.kept_light:
        finders["kept light"] = kept_light_finder
    noises = [float(s) for s in args.noise.split(",")]
    conditions = args.conditions.split(",")
    rows = measure_scenes(digits, SEED_BASE[args.digits], args.pages, noises, conditions, finders)
    clutter = measure_clutter(args.pages, noises, finders)
    print(f"{args.digits} digits, {args.pages} scenes per row, IoU >= 0.5")
    print(table(rows + clutter, list(finders)))
    name = "digit_finder" + ("" if args.digits == "validation" else f"_{args.digits}")
    name += f"_vs_{args.finder_ref.replace('/', '_')}" if args.finder_ref else ""
    name += "_kept_light.json" if args.kept_light else ".json"
    data = {
        "date": time.strftime("%Y-%m-%d"),
        "digits": args.digits,
        "pages": args.pages,
        "iou": 0.5,
        "finders": {label: _described(label) for label in finders},
        "rows": rows + clutter,
    }
    write_json(Path(__file__).parent / "results" / name, data)


def _described(label: str) -> str:
    if label == "kept light":
        return "this tree's live finder, each scene read in the light of the same scene 2 pixels away"
    return "this tree" if label == "now" else f"digits.py at {label}"


if __name__ == "__main__":
    main()
