"""`dae live --out` recordings that survive kill -9 and a pulled plug.

A recording is a fragmented Motion-JPEG MP4 (fmp4.JpegTrack) written to a hidden, locked
`.STEM.XXXXXXXX.rec.SUFFIX` beside the target, one fragment per second of video, each flushed to the
disk (fsync) as it is written. A recording that ends well is checked and renamed onto the target (an
earlier file there is replaced only by a whole recording). One cut short by kill -9 or a power loss is
a playable MP4 up to its last whole fragment: the next `dae live --out` into that folder cuts off the
unfinished fragment and renames it to `STEM.recovered-TIME.SUFFIX`, never over an existing file. A
recording whose write fails (full disk) is kept the same way. Only names of exactly that form whose
lock no process holds are touched; an old `.STEM.XXXXXXXX.tmp.SUFFIX` (OpenCV's unplayable partial MP4
from earlier releases) is removed.
"""

from __future__ import annotations

import errno
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from dae_runtime.atomic import RANDOM_TAIL, commit, default_file_mode, release, sync_folder, temp_beside, try_lock
from dae_runtime.fmp4 import JpegTrack, scan
from dae_runtime.video_out import VideoWriteError, quiet_video_logs

MP4_SUFFIXES = (".mp4", ".m4v", ".mov")
# DOTALL: a stem may hold a newline; (?i:): `--out LIVE.MP4` is accepted, so its leftovers are ours too.
_OURS = re.compile(
    r"\.(?P<stem>.+)\." + RANDOM_TAIL + r"\.(?P<kind>rec|tmp)(?P<suffix>(?i:\.(mp4|m4v|mov)))", re.DOTALL
)


class Recording:
    """The open recording: `write(frame)`; a failed write raises VideoWriteError naming what was kept."""

    def __init__(self, target: Path, tmp: Path, fd: int, fps: float):
        self.target, self.tmp, self.track = target, tmp, JpegTrack(fd, fps, sync=True)

    def write(self, frame) -> None:
        try:
            self.track.write(frame)
        except (OSError, ValueError) as exc:
            raise self.failed(exc) from None

    def finish(self) -> None:
        """Write the last fragment, check the file, rename it onto the target."""
        try:
            self.track.flush()
            if self.track.frames == 0:
                raise VideoWriteError(f"no frame to write into {self.target}; nothing was replaced")
            _check(self.tmp, self.track)
            commit(self.tmp, self.target)
            sync_folder(self.target.parent)
        except OSError as exc:
            raise self.failed(exc) from None

    def failed(self, exc: Exception) -> VideoWriteError:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return VideoWriteError(
            f"could not write {self.target} ({why}); nothing was replaced{_keep(self.tmp, self.track)}"
        )


@contextmanager
def recording(target: str | os.PathLike, fps: float) -> Iterator[Recording]:
    """Yield a Recording into a hidden file beside `target`; on leaving the block it is checked and
    renamed onto `target`. On any failure the whole fragments written so far are kept as
    STEM.recovered-TIME.SUFFIX (a failed write names it in its VideoWriteError) and `target` is untouched."""
    target = Path(target)
    quiet_video_logs()
    try:
        tmp = temp_beside(target, kind="rec")
        fd = os.open(tmp, os.O_WRONLY | os.O_APPEND)
    except OSError as exc:
        raise VideoWriteError(f"could not write {target} ({exc.strerror or exc}); nothing was replaced") from None
    video = Recording(target, tmp, fd, fps)
    try:
        sync_folder(target.parent)  # the hidden file itself must survive a pulled plug
        yield video
        video.finish()
    except BaseException:
        _keep(tmp, video.track)  # a no-op if a failed write has kept it already
        raise
    finally:
        os.close(fd)
        if video.track.fragments == 0:  # else renamed into place or aside, or left for the next run to recover
            with suppress(OSError):
                tmp.unlink(missing_ok=True)
        release(tmp)


def _check(tmp: Path, track: JpegTrack) -> None:
    """The file holds exactly the fragments written, and FFmpeg decodes its first frame at their size."""
    import cv2

    from dae_runtime.cv_paths import opencv_path

    with open(tmp, "rb") as f:
        found = scan(f)
        size = f.seek(0, os.SEEK_END)
    if found is None or (found.fragments, found.samples, found.end) != (track.fragments, track.frames, size):
        raise OSError(f"it reads back as {found.samples if found else 0} of {track.frames} frames")
    with opencv_path(tmp) as name:
        capture = cv2.VideoCapture(name)
    try:
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok or frame.shape[:2] != track.size:
        raise OSError("FFmpeg cannot decode it")


def _keep(tmp: Path, track: JpegTrack) -> str:
    """After a failure: the whole fragments as a recovered file, and the words that say where."""
    try:
        track.flush()  # a failure elsewhere (not the disk) leaves the waiting frames writable
    except (OSError, ValueError):
        pass
    if track.fragments == 0 or not tmp.exists():
        return ""
    try:
        kept = finalise(tmp)
    except OSError:  # a folder gone read-only, no free name: the hidden file stays
        return f"; what was recorded stays in {tmp}, which the next dae live --out into its folder recovers"
    return f"; the {kept[1]:.1f} s recorded before are in {kept[0]}" if kept else ""


def recover_recordings(folder: str | os.PathLike) -> list[tuple[Path, float]]:
    """Finalise what killed recordings left in `folder`: [(recovered file, seconds)]. Leftovers that
    hold no whole fragment, and old unplayable `.tmp` ones, are removed."""
    folder, found = Path(folder), []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    for name in names:
        match = _OURS.fullmatch(name)
        if match is None or (fd := try_lock(folder / name)) is None:
            continue  # not ours, or its writer is alive
        try:
            kept = finalise(folder / name) if match["kind"] == "rec" else None
            if kept is not None:
                found.append(kept)
            else:
                (folder / name).unlink(missing_ok=True)
        except OSError:
            continue  # a leftover that cannot be finalised (read-only folder) stays for a later run
        finally:
            os.close(fd)
    return found


def finalise(path: Path) -> tuple[Path, float] | None:
    """Cut a recording after its last whole fragment, sync it, and rename it to a free recovered name
    beside it; None (and nothing renamed) if it holds no whole fragment."""
    match = _OURS.fullmatch(path.name)
    with open(path, "rb+") as f:
        found = scan(f)
        if match is None or found is None or found.fragments == 0:
            return None
        written = os.fstat(f.fileno())  # when the recording stopped: truncate sets the time to now
        f.truncate(found.end)
        f.flush()
        os.utime(f.fileno(), ns=(written.st_atime_ns, written.st_mtime_ns))
        os.fsync(f.fileno())
    os.chmod(path, default_file_mode())
    when = time.strftime("%Y%m%d-%H%M%S", time.localtime(written.st_mtime))
    names = (f"{match['stem']}.recovered-{when}{'' if n == 1 else f'-{n}'}{match['suffix']}" for n in range(1, 1000))
    recovered = _rename_to_a_free_name(path, names)
    sync_folder(path.parent)
    return recovered, found.seconds


def _rename_to_a_free_name(path: Path, names: Iterator[str]) -> Path:
    """Rename `path` to the first of `names` that is free beside it, never over a file: a hard link
    fails if the name is taken, even by another dae recovering the same second. Where there are no hard
    links (FAT), a name checked free is renamed onto. OSError if none is free."""
    for name in names:
        new = path.with_name(name)
        try:
            os.link(path, new)
        except FileExistsError:
            continue
        except OSError:
            if new.exists():
                continue
            os.rename(path, new)
            return new
        os.unlink(path)
        return new
    raise OSError(errno.EEXIST, f"no free name beside it for what {path.name} holds")
