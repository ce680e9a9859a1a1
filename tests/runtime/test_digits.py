import cv2
import numpy as np
import pytest

from dae_runtime.digits import extract_digits, from_mnist, ink_map, paste_ink, to_mnist
from dae_runtime.metrics import psnr
from dae_runtime.synthetic import paper_frame


def test_finds_every_digit_on_paper_in_reading_order(digits):
    frame = paper_frame(digits[:8])
    batch, crops = extract_digits(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    assert batch.shape == (8, 28, 28) and len(crops) == 8
    xs_first_row = [c.box[0] for c in crops[:5]]
    assert xs_first_row == sorted(xs_first_row)
    # Each found digit is the drawn one, in MNIST form: it matches its own source best.
    sources = np.stack([_as_mnist(d) for d in digits[:8]])
    similarity = np.array([[psnr(found, src) for src in sources] for found in batch])
    assert (similarity.argmax(axis=1) == np.arange(8)).all()
    assert np.diag(similarity).min() > 15.0


def _as_mnist(digit):
    """The source digit's ink box through the same warp extract_digits uses."""
    rows, cols = np.nonzero(digit > 0.1)
    x, y, w, h = int(cols.min()), int(rows.min()), int(np.ptp(cols) + 1), int(np.ptp(rows) + 1)
    return to_mnist(digit[y : y + h, x : x + w], (x, y, w, h))[0]


def test_mnist_form_fits_20x20_and_centres_the_mass():
    ink = np.zeros((200, 300), np.float32)
    cv2.rectangle(ink, (40, 30), (69, 129), 1.0, -1)  # a tall 30x100 bar
    digit, crop = to_mnist(ink[30:130, 40:70], (40, 30, 30, 100))
    rows, cols = np.nonzero(digit > 0.5)
    assert rows.max() - rows.min() + 1 <= 20 and cols.max() - cols.min() + 1 <= 20
    mass = digit.sum()
    cy = (np.arange(28)[:, None] * digit).sum() / mass
    cx = (np.arange(28)[None, :] * digit).sum() / mass
    assert abs(cy - 13.5) < 0.6 and abs(cx - 13.5) < 0.6


def test_inverse_mapping_pastes_back_where_it_came_from():
    frame = paper_frame(np.stack([np.pad(np.ones((16, 8), np.float32), ((6, 6), (10, 10)))]))
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    ink = ink_map(gray)
    batch, crops = extract_digits(gray)
    assert len(crops) == 1
    x, y, w, h = crops[0].box
    back = from_mnist(batch[0], crops[0])
    assert back.shape == (h, w)
    assert np.abs(back - ink[y : y + h, x : x + w]).mean() < 0.1
    out = gray.copy()
    paste_ink(out, back, crops[0])
    assert out[y + h // 2, x + w // 2] < 100 and out[5, 5] == gray[5, 5]  # ink where the bar was, paper elsewhere


def test_blank_paper_has_no_digits():
    gray = np.full((120, 160), 200, np.uint8)
    batch, crops = extract_digits(gray)
    assert batch.shape == (0, 28, 28) and crops == []


def _iou(a, b):
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / float(a[2] * a[3] + b[2] * b[3] - ix * iy)


def _noisy(page, sigma, rng):
    gray = page[:, :, 0].astype(np.float32) / 255 + rng.normal(0, sigma, page.shape[:2]).astype(np.float32)
    return (np.clip(gray, 0, 1) * 255).astype(np.uint8)


@pytest.mark.parametrize("size, scale, n", [((480, 640), 3, 12), ((240, 320), 2, 6)])
def test_noise_specks_and_blots_are_not_digits(size, scale, n):
    """At noise 0.3 with specks, smudges and blots between the digits, every box is a digit and every digit is boxed."""
    from dae_runtime.synthetic import paper_page, synthetic_digits

    rng = np.random.default_rng(7)
    found = matched = truths = 0
    for p in range(4):
        page, truth = paper_page(synthetic_digits(n, seed=p), size, scale, shift=(p, 2 * p), clutter=6, seed=p)
        _, crops = extract_digits(_noisy(page, 0.3, rng), max_digits=32)
        boxes = [c.box for c in crops]
        found, truths = found + len(boxes), truths + len(truth)
        matched += sum(any(_iou(b, t) >= 0.5 for t in truth) for b in boxes)
    assert matched / found >= 0.95 and matched / truths >= 0.95, (found, matched, truths)


def test_a_blot_the_size_of_a_digit_is_not_a_stroke():
    page = np.full((240, 320), 220, np.uint8)
    cv2.ellipse(page, (160, 120), (18, 24), 30, 0, 360, 30, -1)  # a filled blot
    cv2.putText(page, "7", (40, 150), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 30, 5)
    boxes = [c.box for c in extract_digits(page)[1]]
    assert len(boxes) == 1 and boxes[0][0] < 100


@pytest.mark.parametrize("shape", [(480, 640), (479, 641), (120, 160), (301, 457)])
def test_the_paper_under_a_box_is_its_paper_pixels_repeated_at_the_frame_s_resolution(shape):
    """The crops' paper is cut from one frame-sized paper kept with the page's light (ink_page.FramePaper), each
    paper pixel 2 x step frame pixels, up to the frame's last odd row and column."""
    from dae_runtime.ink_page import read_page

    frame = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    page = read_page(frame)
    s = 2 * page.step
    repeated = page.paper.repeat(s, axis=0).repeat(s, axis=1)
    h, w = repeated.shape
    for box in [(0, 0, 40, 30), (s + 1, 3, 17, 23), (w - 21, h - 19, 21, 19)]:
        x, y, bw, bh = box
        assert np.array_equal(page.paper_under(box), repeated[y : y + bh, x : x + bw]), box
    blocks = [page.paper_under(box) for box in [(0, 0, 40, 30), (w - 21, h - 19, 21, 19), (shape[1] - 9, 0, 9, 8)]]
    full = page.frame_paper.keep()._full  # kept with the light (the live loop): one slice a crop, the same pixels
    assert full is not None and full.shape == shape
    assert np.array_equal(full[:, w:], np.repeat(full[:, w - 1 : w], shape[1] - w, axis=1))
    assert page.frame_paper.keep()._full is full  # made once per light
    for box, block in zip([(0, 0, 40, 30), (w - 21, h - 19, 21, 19), (shape[1] - 9, 0, 9, 8)], blocks, strict=True):
        assert np.array_equal(page.paper_under(box), block), box
