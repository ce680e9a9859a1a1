"""Precision and recall of the digit finder's boxes on generated pages with known digit boxes.

Each page: synthetic digits as dark ink on unevenly lit paper (dae_runtime.synthetic.paper_page),
marks that are not digits between them (ink specks, faint smudges, filled blots of a digit's
size), then Gaussian noise of sigma (in units of the full 0..255 range, as `dae denoise
--add-noise` uses) over the whole page. A found box matches a true box when their intersection
over union is >= 0.5 (each true box matches once).

    .venv/bin/python benchmarks/digit_finder.py [--pages 40] [--noise 0,0.1,0.2,0.3,0.4,0.5] [--finder-ref main]

--finder-ref REF measures digits.py as it was at git REF instead (same pages), for a before/after.

Writes benchmarks/results/digit_finder.json (digit_finder_REF.json with --finder-ref).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from dae_runtime.digits import extract_digits
from dae_runtime.synthetic import paper_page, synthetic_digits

PAGES = {  # (height, width), digit scale, digits per page
    "640x480": ((480, 640), 3, 12),
    "320x240": ((240, 320), 2, 6),
}


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / float(aw * ah + bw * bh - inter)


def matches(found, truth, threshold: float = 0.5) -> int:
    pairs = sorted(((iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)), reverse=True)
    used_f, used_t, n = set(), set(), 0
    for score, i, j in pairs:
        if score < threshold:
            break
        if i not in used_f and j not in used_t:
            used_f.add(i), used_t.add(j)
            n += 1
    return n


def noisy_page(page: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    gray = page[:, :, 0].astype(np.float32) / 255.0
    gray = gray + rng.normal(0.0, sigma, gray.shape).astype(np.float32) if sigma > 0 else gray
    return (np.clip(gray, 0, 1) * 255 + 0.5).astype(np.uint8)


def measure(kind: str, sigma: float, pages: int, clutter: int, extract=extract_digits) -> dict:
    size, scale, n = PAGES[kind]
    rng = np.random.default_rng(1000 + int(100 * sigma))
    found_total = true_total = matched = 0
    seconds = 0.0
    for p in range(pages):
        digits = synthetic_digits(n, seed=p)
        shift = (int(rng.integers(0, 9)), int(rng.integers(0, 9)))
        page, truth = paper_page(digits, size, scale, shift, clutter=clutter, seed=p)
        gray = noisy_page(page, sigma, rng)
        started = time.perf_counter()
        _, crops = extract(gray, max_digits=32)
        seconds += time.perf_counter() - started
        found = [c.box for c in crops]
        found_total, true_total, matched = (
            found_total + len(found),
            true_total + len(truth),
            matched + matches(found, truth),
        )
    return {
        "page": kind,
        "noise": sigma,
        "clutter": clutter,
        "digits": true_total,
        "found": found_total,
        "precision": round(matched / max(found_total, 1), 4),
        "recall": round(matched / max(true_total, 1), 4),
        "ms_per_page": round(1e3 * seconds / pages, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=40, help="pages per page size and noise level")
    parser.add_argument("--noise", default="0,0.1,0.2,0.3,0.4,0.5", help="noise sigmas, comma-separated")
    parser.add_argument("--clutter", type=int, default=6, help="specks, smudges and blots per page")
    parser.add_argument("--finder-ref", default=None, help="measure digits.py from this git ref instead")
    args = parser.parse_args()
    extract = extract_digits
    if args.finder_ref:
        from live_fps import finder_at  # benchmarks/ is on sys.path when a script in it runs

        extract = finder_at(args.finder_ref)
    rows = [measure(kind, float(s), args.pages, args.clutter, extract) for kind in PAGES for s in args.noise.split(",")]
    print("| page | noise | digits | found | precision | recall | ms per page |\n|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['page']} | {r['noise']:.1f} | {r['digits']} | {r['found']} | {r['precision']:.3f} "
            f"| {r['recall']:.3f} | {r['ms_per_page']:.2f} |"
        )
    name = f"digit_finder_{args.finder_ref.replace('/', '_')}.json" if args.finder_ref else "digit_finder.json"
    out = Path(__file__).parent / "results" / name
    out.parent.mkdir(exist_ok=True)
    data = {"date": time.strftime("%Y-%m-%d"), "finder": args.finder_ref or "this tree", "iou": 0.5, "rows": rows}
    out.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
