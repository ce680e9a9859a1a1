"""What travels with an exported model: ONNX metadata, manifest.json and the golden set."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from dae_export.config import INPUT_NAME, OUTPUT_NAME
from dae_runtime.manifest import MANIFEST_FILE, sha256_file
from dae_runtime.versions import package_versions


def input_spec(model) -> dict:
    """How a caller must feed `model`; the runtime reads this back from the ONNX metadata.

    Derived from the model (dae_export.model_shape): each 2x2 pooling halves the sides, so they
    must be multiples of 2 ** depth (other sizes come back rounded up); the seed's two poolings
    give 4. The digit size is the model's declared input size, else MNIST's 28.
    """
    from dae_export.model_shape import digit_size, receptive_radius, size_multiple

    return {
        "name": INPUT_NAME,
        "layout": "NHWC",
        "shape": ["batch", "height", "width", 1],
        "dtype": "float32",
        "range": [0.0, 1.0],
        "scaling": "uint8 pixel / 255; white digit on black background, as MNIST",
        "size_multiple": size_multiple(model),
        "digit_size": digit_size(model),
        "receptive_radius": receptive_radius(model),  # overlap the runtime's tiles need (dae_runtime.tiles)
    }


OUTPUT_SPEC = {"name": OUTPUT_NAME, "layout": "NHWC", "shape": ["batch", "height", "width", 1], "range": [0.0, 1.0]}


def set_onnx_metadata(
    proto, precision: str, noise: dict, train_metrics: dict, source_sha256: str, input_spec: dict
) -> None:
    import dae_export

    proto.producer_name = "dae-edge-export"
    proto.producer_version = dae_export.__version__
    proto.doc_string = "noisy-MNIST convolutional denoising autoencoder (dae-edge)"
    props = {
        "producer": f"dae-edge-export {dae_export.__version__} via tf2onnx",
        "precision": precision,
        "noise": json.dumps(noise),
        "input": json.dumps(input_spec),
        "output": json.dumps(OUTPUT_SPEC),
        "train_metrics": json.dumps(train_metrics),
        "source_model_sha256": source_sha256,
    }
    del proto.metadata_props[:]
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value


def write_golden(path: Path, noisy: np.ndarray, clean: np.ndarray, keras_out: np.ndarray, noise: dict) -> None:
    """Inputs, targets and the TensorFlow original's outputs: accuracy checks on a TF-free device."""
    np.savez_compressed(
        path,
        noisy=noisy.astype(np.float32),
        clean=clean.astype(np.float32),
        keras=keras_out.astype(np.float32),
        noise_kind=np.array(noise["kind"]),
        noise_level=np.array(noise["level"], np.float32),
    )


def build_manifest(
    folder: Path, files: list[str], described: dict[str, dict] | None = None, **sections: object
) -> dict:
    """manifest.json; `sections` include "input" (input_spec(model)), noise, metrics, graph...

    `described` adds keys to a file's entry: a model's "engine" and "precision" (dae_export.steps).
    Readers must not require them: manifests written before 2026-11-26 have only sha256 and bytes.
    """
    described = described or {}
    manifest = {
        "format": "dae-edge-export/1",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": {
            name: {
                "sha256": sha256_file(folder / name),
                "bytes": (folder / name).stat().st_size,
                **described.get(name, {}),
            }
            for name in files
        },
        "output": OUTPUT_SPEC,
        **sections,
        "versions": package_versions(
            "tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "numpy", "dae-edge-export", "dae-edge-runtime"
        ),
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
