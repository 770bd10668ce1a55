"""Image preprocessing speed: vlq's C++ Qwen2-VL processor vs transformers' processors, side by side
in one run, single thread. Each side does the full job per COCO image: read + decode the JPEG,
convert to RGB, smart_resize, bicubic resize, rescale/normalise, patchify. Also printed: the same
without the decode (processing only), the decode alone, and the end-to-end ratio the decode
alone allows. Per-stage times of vlq's side: build/<dir>/bench_image_stages_bench.

    ~/.cache/vlq/venv/bin/python bench/bench_image_processor.py [--repeats 5]
"""
import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy/torch load their thread pools

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from transformers import Qwen2VLImageProcessor  # noqa: E402

from vlq import _core  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("VLQ_DATA_ROOT") or REPO.parent / "shared" / "data")
CKPT = DATA / "qwen2_5_vl_3b_instruct"


def time_per_pass(run, paths, repeats):
    """Median wall time of one pass over all images (after one warm-up pass)."""
    run(paths)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(paths)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    paths = sorted((DATA / "coco2017_images").glob("*/*.jpg"))

    slow = Qwen2VLImageProcessor.from_pretrained(CKPT)
    ours = _core.ImageProcessor.from_directory(CKPT)

    def run_slow(ps):
        for p in ps:
            with Image.open(p) as im:
                slow(images=im, return_tensors="np")

    def run_vlq(ps):
        for p in ps:
            ours.process_file(str(p))

    # Second view: processing only, from images already decoded in memory (HF gets loaded PIL
    # images, vlq the same pixels as numpy arrays).
    decoded = []
    for p in paths:
        with Image.open(p) as im:
            decoded.append(im.convert("RGB"))
    arrays = [np.asarray(im) for im in decoded]

    def run_slow_decoded(images):
        for im in images:
            slow(images=im, return_tensors="np")

    def run_vlq_decoded(images):
        for a in images:
            ours.process_array(a)

    # Third view: JPEG decode alone (file → RGB pixels). Both sides decode with libjpeg-turbo
    # (ISLOW IDCT, fancy upsampling), so vlq's decode time bounds its end-to-end ratio.
    def run_pil_decode(ps):
        for p in ps:
            with Image.open(p) as im:
                im.convert("RGB")

    def run_vlq_decode(ps):
        for p in ps:
            _core.decode_image_file(str(p))

    decode = {"vlq (C++)": time_per_pass(run_vlq_decode, paths, args.repeats),
              "PIL (open + convert RGB)": time_per_pass(run_pil_decode, paths, args.repeats)}
    processing = {"vlq (C++)": time_per_pass(run_vlq_decoded, arrays, args.repeats),
                  "HF slow (PIL/numpy)": time_per_pass(run_slow_decoded, decoded, args.repeats)}
    results = {"vlq (C++)": time_per_pass(run_vlq, paths, args.repeats),
               "HF slow (PIL/numpy)": time_per_pass(run_slow, paths, args.repeats)}
    try:
        from transformers import Qwen2VLImageProcessorFast
        fast = Qwen2VLImageProcessorFast.from_pretrained(CKPT)

        def run_fast(ps):
            for p in ps:
                with Image.open(p) as im:
                    fast(images=im, return_tensors="pt")
        results["HF fast (torchvision)"] = time_per_pass(run_fast, paths, args.repeats)
    except Exception as e:  # torchvision is not installable next to torch 2.13 here
        import importlib.util
        reason = "torchvision is not installed" if importlib.util.find_spec("torchvision") is None else repr(e)[:120]
        print(f"HF fast processor (Qwen2VLImageProcessorFast) cannot run here: {reason}")

    n = len(paths)
    print(f"{n} COCO images, single thread, median of {args.repeats} passes, "
          f"load average {os.getloadavg()[0]:.2f}")
    for title, table in (("end to end (file → pixel_values)", results),
                         ("processing only (decoded RGB → pixel_values)", processing),
                         ("JPEG decode only (file → RGB)", decode)):
        print(title)
        base = table["vlq (C++)"]
        for name, seconds in table.items():
            print(f"  {name:24s} {seconds * 1e3 / n:8.2f} ms/image   ratio to vlq {seconds / base:6.2f}x")
    hf_end_to_end = results["HF slow (PIL/numpy)"]
    print(f"bound: even with free processing, vlq end to end could be at most "
          f"{hf_end_to_end / decode['vlq (C++)']:.2f}x HF slow (HF end to end / vlq decode alone)")


if __name__ == "__main__":
    main()
