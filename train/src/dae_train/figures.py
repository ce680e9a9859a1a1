"""The seed notebook's two figures: clean vs noisy digits, and noisy vs denoised digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dae_runtime.atomic import atomic_path


def rows_figure(target: Path, rows: list[tuple[str, np.ndarray]], title: str, n: int = 10) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    n = min(n, len(rows[0][1]))
    fig, axes = plt.subplots(len(rows), n, figsize=(1.2 * n, 1.35 * len(rows)), squeeze=False)
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            ax = axes[r][c]
            ax.imshow(np.squeeze(images[c]), cmap="gray", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r][0].set_ylabel(label, fontsize=10)
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(target) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return target


def save_seed_figures(out: Path, clean: np.ndarray, noisy: np.ndarray, denoised: np.ndarray) -> list[Path]:
    """Write clean_vs_noisy.png and noisy_vs_denoised.png for ten digits spread over the set.

    Spread, not the first ten: validation sets are ordered by class, so this shows every digit.
    """
    pick = np.linspace(0, len(clean) - 1, min(10, len(clean))).astype(int)
    clean, noisy, denoised = clean[pick], noisy[pick], denoised[pick]
    return [
        rows_figure(out / "clean_vs_noisy.png", [("clean", clean), ("noisy", noisy)], "Noise induced digits"),
        rows_figure(out / "noisy_vs_denoised.png", [("noisy", noisy), ("denoised", denoised)], "Noise removed"),
    ]
