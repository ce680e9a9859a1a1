"""The live loop's kept light (dae_runtime.live.kept_light): how far a frame's thumbnail moves, and what reading
frames in a kept light does to the digits the model gets (a benchmark, not a test).

    .venv/bin/python benchmarks/kept_light.py [--digits train|validation] [--json benchmarks/results/kept_light.json]

1. Thumbnail movement (mean absolute difference of the 80x60 thumbnails, percent of the first's mean) against a
   first frame of the same page, per condition of dae_runtime.scenes and camera noise: the same page again (fresh
   camera noise), moved by 1 pixel (the largest of five directions), by 2 and 3 pixels (the smallest), a hand's
   shadow over a tenth of the page, and a new page. The rule's max_move must sit above the first two and below
   the last two.
2. Kept light against reading every frame, on the live benchmark's kind of clip (benchmarks/arm_cost/live_clip.py: pages
   of 10 digits held 5 frames, a pixel of jitter a frame, camera noise 0.02) and on pages sliding 4 pixels a frame:
   the frames whose light was read, how often the boxes are not the ones a fresh read finds, and how far the MNIST
   crops the model gets are from a fresh read's (mean absolute difference on [0, 1], over the digits both found),
   beside how far a fresh read's crops move from one frame of a held page to the next (camera noise and jitter).
3. What a kept light costs when the rule keeps it wrongly: box precision and recall (IoU >= 0.5) of each page read
   in the light of another page of the same condition (its shadow, glare or tilt elsewhere), against a fresh
   read, 20 pages per condition of dae_runtime.scenes at noise 0 and 0.2.

Tune on --digits train; report on validation (the default).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CONDITIONS = ("plain", "ruled", "hard shadow", "pencil", "dim", "glare", "soft shadow", "grid")


def _camera(clean: np.ndarray, shift: tuple[int, int], noise: float, rng) -> np.ndarray:
    frame = np.roll(clean, shift, axis=(0, 1)).astype(np.float32)
    frame += rng.normal(0, 255 * noise, frame.shape[:2]).astype(np.float32)[..., None]
    return np.clip(frame, 0, 255).astype(np.uint8)


def _hand(clean: np.ndarray) -> np.ndarray:
    """A hand's soft shadow over about a tenth of the page, coming in from the right edge."""
    import cv2

    shade = np.zeros(clean.shape[:2], np.float32)
    h, w = shade.shape
    cv2.ellipse(shade, (w, h // 2), (w // 5, h // 4), 0, 0, 360, 1.0, -1)
    shade = cv2.GaussianBlur(shade, (0, 0), 6)
    return (clean * (1 - 0.55 * shade)[..., None]).astype(np.uint8)


def movement(digits: np.ndarray, seed: int) -> list[dict]:

    from dae_runtime.ink_page import plane_of
    from dae_runtime.live.kept_light import moved, thumbnail
    from dae_runtime.scenes import condition, render_scene

    rng, rows = np.random.default_rng(seed), []
    for i, name in enumerate(CONDITIONS):
        spec = replace(condition(name), digits=10)
        clean = render_scene(digits, spec, seed=seed * 1000 + i)[0]
        other = render_scene(digits, spec, seed=seed * 1000 + 500 + i)[0]
        for noise in (0.02, 0.05):
            base = thumbnail(plane_of(_camera(clean, (0, 0), noise, rng)))

            def to(image, shift=(0, 0), base=base, noise=noise):
                return round(moved(base, thumbnail(plane_of(_camera(image, shift, noise, rng)))), 2)

            one = [(1, 0), (0, 1), (1, 1), (-1, 0), (0, -1)]
            rows.append(
                {
                    "condition": name,
                    "camera_noise": noise,
                    "same page": to(clean),
                    "1 px": max(to(clean, s) for s in one),
                    "2 px": min(to(clean, (2 * a, 2 * b)) for a, b in one),
                    "3 px": min(to(clean, (3 * a, 3 * b)) for a, b in one),
                    "hand": to(_hand(clean)),
                    "new page": to(other),
                }
            )
    return rows


def _clip(digits: np.ndarray, seed: int, slide: int) -> list[list[np.ndarray]]:
    """Pages of 10 digits, 5 frames each: jittered by a pixel (slide 0) or sliding `slide` pixels a frame."""
    from dae_runtime.scenes import condition, render_scene

    rng, pages = np.random.default_rng(seed), []
    for page, name in enumerate(CONDITIONS):
        clean = render_scene(digits, replace(condition(name), digits=10), seed=seed * 1000 + page)[0]
        shifts = [(k % 3 - 1, (k // 3) % 3 - 1) if not slide else (0, slide * k) for k in range(5)]
        pages.append([_camera(clean, s, 0.02, rng) for s in shifts])
    return pages


def _crop_gap(a: tuple, b: tuple) -> float | None:
    """Mean absolute difference of two crop batches' digits, matched by box centre (None: nothing matched)."""
    (crops_a, where_a), (crops_b, where_b) = a, b
    gaps = []
    for i, ca in enumerate(where_a):
        cx, cy = ca.box[0] + ca.box[2] / 2, ca.box[1] + ca.box[3] / 2
        for j, cb in enumerate(where_b):
            if abs(cb.box[0] + cb.box[2] / 2 - cx) < 6 and abs(cb.box[1] + cb.box[3] / 2 - cy) < 6:
                gaps.append(float(np.abs(crops_a[i] - crops_b[j]).mean()))
                break
    return float(np.mean(gaps)) if gaps else None


def reuse(digits: np.ndarray, seed: int, slide: int) -> dict:
    from dae_runtime.digits import extract_digits
    from dae_runtime.live.kept_light import KeptLightFinder

    finder, frames, other_boxes, gaps, natural = KeptLightFinder(64), 0, 0, [], []
    for page in _clip(digits, seed, slide):
        previous = None
        for frame in page:
            fresh, kept = extract_digits(frame, 64), finder.find(frame)
            frames += 1
            other_boxes += [c.box for c in fresh[1]] != [c.box for c in kept[1]]
            gaps.append(_crop_gap(kept, fresh))
            if previous is not None:
                natural.append(_crop_gap(fresh, previous))
            previous = fresh
    return {
        "clip": f"pages held 5 frames, sliding {slide} px a frame" if slide else "pages held 5 frames, 1 px jitter",
        "frames": frames,
        "light_reads": finder.reads,
        "frames_with_other_boxes": other_boxes,
        "crop_gap_to_fresh_read": round(float(np.mean([g for g in gaps if g is not None])), 4),
        "crop_gap_frame_to_frame_fresh": round(float(np.mean([g for g in natural if g is not None])), 4),
    }


def other_page_light(digits: np.ndarray, seed: int, pages: int = 20) -> list[dict]:
    from dae_runtime.digits import find_digit_boxes
    from dae_runtime.live.kept_light import KeptLightFinder, LightRules
    from dae_runtime.scenes import CONDITIONS as ALL
    from dae_runtime.scenes import condition, matched, render_scene

    rows = []
    for ci, name in enumerate(ALL):
        for noise in (0.0, 0.2):
            counts = {"fresh": [0, 0, 0], "another page's light": [0, 0, 0]}
            for p in range(pages):
                base = seed * 100_000 + 1000 * ci + p
                before = render_scene(digits, condition(name, noise), seed=base)[0]
                frame, truth = render_scene(digits, condition(name, noise), seed=base + 500)
                finder = KeptLightFinder(64, LightRules(max_move=float("inf")))
                finder.find(before)
                kept = [c.box for c in finder.find(frame)[1]]
                for label, boxes in (("fresh", find_digit_boxes(frame)), ("another page's light", kept)):
                    c = counts[label]
                    c[0], c[1], c[2] = c[0] + matched(boxes, truth), c[1] + len(boxes), c[2] + len(truth)
            for label, (hit, found, true) in counts.items():
                rows.append({"condition": name, "noise": noise, "read": label,
                             "precision": round(hit / max(found, 1), 3), "recall": round(hit / true, 3)})  # fmt: skip
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digits", choices=("train", "validation"), default="validation")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "kept_light.json")
    args = parser.parse_args(argv)
    from dae_train.data import load_mnist

    data = load_mnist("builtin")
    digits = (data.train if args.digits == "train" else data.validation).images
    seed = 1 if args.digits == "train" else 2
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "digits": args.digits,
        "movement": movement(digits, seed),
        "reuse": [reuse(digits, seed, s) for s in (0, 4)],
        "other_page_light": other_page_light(digits, seed),
    }
    for row in result["movement"]:
        print("  ".join(f"{k} {v}" for k, v in row.items()))
    for row in result["reuse"] + result["other_page_light"]:
        print(row)
    if args.json:
        stored = json.loads(args.json.read_text()) if args.json.exists() else {}
        stored[args.digits] = result
        args.json.write_text(json.dumps(stored, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
