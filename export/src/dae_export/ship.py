"""Copy an export's ONNX models into the runtime package, so `pip install ./runtime` ships them.

    python -m dae_export.ship EXPORT_DIR [DEST]      (DEST: runtime/src/dae_runtime/models/seed)

The runtime's manifest lists only the files that travel with it (fp32 and int8 models);
every other section is the export's own.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from dae_runtime.manifest import MANIFEST_FILE, verify_manifest
from dae_runtime.shipped import DEFAULT_MODEL, MODELS_DIR, SHIPPED_FILES


def ship(export_dir: Path, dest: Path = MODELS_DIR / DEFAULT_MODEL) -> list[Path]:
    manifest = verify_manifest(export_dir)
    names = list(SHIPPED_FILES.values())
    missing = [n for n in names if n not in manifest["files"]]
    if missing:
        raise SystemExit(f"{export_dir} lacks {', '.join(missing)}: export with --int8 first")
    dest.mkdir(parents=True, exist_ok=True)
    copied = [Path(shutil.copy2(export_dir / n, dest / n)) for n in names]
    shipped = {**manifest, "files": {n: manifest["files"][n] for n in names}}
    (dest / MANIFEST_FILE).write_text(json.dumps(shipped, indent=2) + "\n")
    verify_manifest(dest)
    return copied


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    for path in ship(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else MODELS_DIR / DEFAULT_MODEL):
        print(f"shipped {path}")
