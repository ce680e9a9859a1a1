"""What every export module shares: the export's settings, its summary, and the names it writes.

At the ground of the package: it imports nothing from dae_export, so any module can import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TARGETS = ("none", "rpi")
GRAPHS = ("fast", "plain")
INT8_TYPES = ("u8s8", "s8s8")  # activations x weights; u8s8 for x86, s8s8 symmetric for ARM kernels
INPUT_NAME, OUTPUT_NAME = "input", "output"  # the ONNX graph's input and output (NHWC, float32)
FP32_ONNX, INT8_ONNX = "model.onnx", "model.int8.onnx"


@dataclass
class ExportConfig:
    model: str  # trained Keras model (.keras)
    out: str  # output folder; existing files are replaced only when the export succeeds
    opset: int = 17  # ONNX opset; tf2onnx 1.17 emits up to 18, higher goes through onnx's converter
    graph: str = "fast"  # fast: exact rewrites onnxruntime runs fastest (dae_export.rewrites); plain: tf2onnx's
    int8: bool = False  # also write model.int8.onnx (static QDQ quantization)
    int8_types: str = "u8s8"  # one of INT8_TYPES
    calib_samples: int = 512  # noisy training digits used to calibrate int8
    max_int8_loss_db: float = 0.2  # accuracy gate: int8 PSNR loss against fp32 on validation digits
    tflite: bool = False  # also write model.tflite and model.int8.tflite
    ncnn: bool = False  # also write ncnn fp32 and int8 models (steps/ncnn_peer.py), for dae compare
    mnn: bool = False  # also write MNN fp32 and int8 models (steps/mnn_peer.py), for dae compare
    target: str = "none"  # rpi: also write rpi-bundle.tar.gz
    data: str = "builtin"  # digits for calibration, validation and the golden set
    noise_kind: str | None = None  # default: the noise the model was trained on (train_report.json)
    noise: float | None = None
    parity_samples: int = 512  # noisy digits for the Keras-vs-ONNX check (plus a batch of odd frames)
    golden_samples: int = 256  # digits stored in golden.npz
    runtime_wheel: str | None = None  # prebuilt runtime wheel for the bundle (default: build from checkout)
    seed: int = 0


@dataclass
class ExportSummary:
    files: dict[str, int] = field(default_factory=dict)  # name -> bytes
    nodes: dict[str, int] = field(default_factory=dict)  # ONNX model -> node count
    metrics: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0
