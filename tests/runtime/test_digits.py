import cv2
import numpy as np

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
    sources = np.stack([to_mnist(d, _ink_box(d))[0] for d in digits[:8]])
    similarity = np.array([[psnr(found, src) for src in sources] for found in batch])
    assert (similarity.argmax(axis=1) == np.arange(8)).all()
    assert np.diag(similarity).min() > 15.0


def _ink_box(digit):
    rows, cols = np.nonzero(digit > 0.1)
    return int(cols.min()), int(rows.min()), int(np.ptp(cols) + 1), int(np.ptp(rows) + 1)


def test_mnist_form_fits_20x20_and_centres_the_mass():
    ink = np.zeros((200, 300), np.float32)
    cv2.rectangle(ink, (40, 30), (69, 129), 1.0, -1)  # a tall 30x100 bar
    digit, crop = to_mnist(ink, (40, 30, 30, 100))
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
