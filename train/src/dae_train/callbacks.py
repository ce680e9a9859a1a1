"""Keras callbacks: validation PSNR, best-model keeping with early stopping, resumable state."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import keras
import numpy as np

from dae_runtime.atomic import atomic_path
from dae_runtime.metrics import psnr
from dae_train import checkpoint


class ValidationPSNR(keras.callbacks.Callback):
    """Adds val_psnr_db (mean per-digit PSNR on a fixed noisy validation set) and lr to the logs."""

    def __init__(self, noisy: np.ndarray, clean: np.ndarray, batch_size: int = 512):
        super().__init__()
        self.noisy, self.clean, self.batch_size = noisy, clean, batch_size

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs if logs is not None else {}
        # Calling the model directly avoids predict()'s per-call retracing on every epoch.
        pred = np.concatenate(
            [
                keras.ops.convert_to_numpy(self.model(self.noisy[i : i + self.batch_size], training=False))
                for i in range(0, len(self.noisy), self.batch_size)
            ]
        )
        logs["val_psnr_db"] = psnr(pred, self.clean)
        lr = self.model.optimizer.learning_rate
        logs["lr"] = float(keras.ops.convert_to_numpy(lr))


class BestKeeper(keras.callbacks.Callback):
    """Keeps the best model at `best_path`, stops after `patience` epochs without progress,
    and after every epoch saves the last model plus its state so a run can be resumed.

    All writes are atomic: an interrupted save leaves the previous file intact, and the last
    model and its state are one checkpoint (dae_train.checkpoint), never one without the other.
    """

    def __init__(self, best_path: Path, checkpoints: Path, patience: int, state: dict):
        super().__init__()
        self.best_path, self.checkpoints = best_path, checkpoints
        self.patience = patience
        self.state = state  # epoch, history, best_val_psnr_db, best_epoch, wait, config

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        score = float(logs.get("val_psnr_db", -math.inf))
        if not math.isfinite(float(logs.get("loss", 0.0))):
            raise TrainingDiverged(f"the loss became {logs.get('loss')} at epoch {epoch + 1}; try a lower --lr")
        s = copy.deepcopy(self.state)  # the run's state changes only once its checkpoint is on disk
        improved = score > s["best_val_psnr_db"]
        # Best model first: a kill before the checkpoint resumes at the previous epoch, which
        # trains this one again to the same weights and writes the same best model.
        if improved:
            with atomic_path(self.best_path) as tmp:
                self.model.save(tmp)
        s["history"].append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
        if improved:
            s.update(best_val_psnr_db=score, best_epoch=epoch + 1, wait=0)
        else:
            s["wait"] += 1
        s["epoch"] = epoch + 1
        checkpoint.save(self.checkpoints, epoch + 1, self.model, s)
        self.state.clear()
        self.state.update(s)
        if s["wait"] >= self.patience:
            print(f"\nEarly stopping: no better validation PSNR for {self.patience} epochs.")
            self.model.stop_training = True


class TrainingDiverged(Exception):
    """The loss is no longer a number; the message is for the user as is."""
