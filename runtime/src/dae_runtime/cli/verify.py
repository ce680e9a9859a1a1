"""`dae verify`: check an export folder or a Raspberry Pi bundle against its manifest."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("path", type=click.Path(exists=True))
@click.option(
    "--extract-to",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Where a .tar.gz bundle is unpacked.",
)
def verify(path: str, extract_to: str) -> None:
    """Check every file of an export folder or rpi-bundle.tar.gz against its manifest.json (sha256)."""
    from dae_runtime.bundle import extract_bundle
    from dae_runtime.manifest import ManifestError, verify_manifest

    if not Path(path).is_dir() and not Path(path).is_file():
        raise click.ClickException(f"{path} is neither an export folder nor a bundle file (a device or a pipe?)")
    try:
        if Path(path).is_dir():
            folder, manifest = Path(path), verify_manifest(path)
        else:
            folder = extract_bundle(path, extract_to)
            manifest = verify_manifest(folder)
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"OK: {len(manifest['files'])} files in {folder} match {folder / 'manifest.json'}")
