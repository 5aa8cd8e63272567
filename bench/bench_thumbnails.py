"""Time and peak memory of making evidence thumbnails (services/evidence.make_thumbnail), the review page's photos.

    .venv/bin/python bench/bench_thumbnails.py [--repeat 3]

Makes thumbnails of the largest photos the app makes them of: a 40-megapixel JPEG (EVIDENCE_MAX_PIXELS, decoded at
a reduced scale), a 16-megapixel PNG and a 4-megapixel WebP (THUMBNAIL_MAX_WHOLE_PIXELS, decoded whole), and a phone
photo of 12 megapixels. For each it prints the median milliseconds and how far the peak resident memory of a fresh
process, which has only read the file, rose while making the thumbnail (Linux: VmHWM after resetting it). The
target: under 70 MB for any one thumbnail (one decoding at a time per process: the same bound per worker). Not a
test: run it by hand.
"""

import argparse
import io
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

TARGET_MB = 70


def photo(size: tuple[int, int], image_format: str) -> bytes:
    """A photo-like picture (a gradient with noise, so that it compresses as photos do) of `size`."""
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 40)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **({"quality": 85} if image_format != "PNG" else {}))
    return buffer.getvalue()


def measure(path: str, results) -> None:
    """In a fresh process: make the thumbnail of the file at `path`; put (ms, MB the peak memory rose)."""
    from tpl_tracker import create_app
    from tpl_tracker.services.evidence import make_thumbnail

    app = create_app("testing")
    data = Path(path).read_bytes()
    with app.app_context():
        Path("/proc/self/clear_refs").write_text("5")  # Linux: the peak resident set starts again from now
        before = _status_kb("VmRSS")
        started = time.perf_counter()
        small = make_thumbnail(data)
        elapsed = (time.perf_counter() - started) * 1000
        peak = _status_kb("VmHWM")
    results.put((elapsed, (peak - before) / 1024, small is not None))


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def main() -> int:
    """Print the time and peak memory of each thumbnail; exit 1 when one goes over the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases = [
        ("JPEG 40 MP", (7300, 5475), "JPEG"),
        ("JPEG 12 MP (phone)", (4000, 3000), "JPEG"),
        ("PNG 16 MP", (4600, 3450), "PNG"),
        ("WebP 4 MP", (2300, 1725), "WEBP"),
    ]
    over = False
    context = multiprocessing.get_context("spawn")
    print(f"{'photo':<20} {'file MB':>8} {'ms':>8} {'peak +MB':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for name, size, image_format in cases:
            path = Path(folder) / f"photo.{image_format.lower()}"
            path.write_bytes(photo(size, image_format))
            times, peaks = [], []
            for _i in range(args.repeat):
                results = context.Queue()
                child = context.Process(target=measure, args=(str(path), results))
                child.start()
                elapsed, peak, made = results.get()
                child.join()
                assert made, name
                times.append(elapsed)
                peaks.append(peak)
            over = over or max(peaks) > TARGET_MB
            size_mb = path.stat().st_size / 1e6
            print(f"{name:<20} {size_mb:>8.1f} {statistics.median(times):>8.0f} {max(peaks):>9.1f}")
    print(f"target: under {TARGET_MB} MB per thumbnail: {'MISSED' if over else 'met'}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
