# ruff: noqa: E402  (the environment must be set before torch is imported)
"""Benchmark: shared-decode ensemble inference against running each model on its own.

Why: stage 1 runs every model of an ensemble over every image. The naive way (each model
with its own DataLoader and its own timm transform, as one runs a single model) reads,
decodes and resizes every image once per model; ``models_zoo.inference`` does it once per
image. This script measures both on the same JPEGs, with the same models, batch size,
workers and device, in one process, and checks that both give the same top-5.

Two configurations: the ``tiny`` ensemble (timm test_* models, where decoding weighs most)
and a second ensemble (``--ensemble``, default ``small``: resnet18, mobilenetv3_small_100,
efficientnet_b0, where compute dominates). Weights are random unless ``--weights-dir`` is
given (speed does not depend on them). Run, on the CPU and on a GPU:

    .venv/bin/python bench/ensemble.py --images 256 --workers 2
    .venv/bin/python bench/ensemble.py --ensemble paper10 --device cuda --bf16 --workers 8

The naive loop pays decoding and transforms once per model and keeps torch's defaults, as
one runs one model. The shared path pays them once per image, normalises each batch in one
pass, and runs its models concurrently, one intra-op thread each. Where the time goes, and
the measured figures: bench/README.md.

Runs of the two paths alternate and the fastest of each counts; CPU seconds (main process
plus loader workers) are printed too, as a measure of work that background load on a
shared machine does not distort. No database. The last line: ``images_per_s=...
ratio_vs_naive=... naive_images_per_s=... cpu_ms_per_image=... naive_cpu_ms_per_image=...
cpu_ratio_vs_naive=... top5_agreement=...`` for ``tiny``, then the same keys prefixed with the
second ensemble's name (``small_images_per_s=...``).
"""

from __future__ import annotations

import os

# Spinning OpenMP threads turn a busy neighbour on a shared machine into 3-4x slowdowns of
# whichever path happens to be running; passive waiting keeps both paths' timings stable.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models_zoo.inference import LoadedModel, iter_predictions, load_models
from models_zoo.loading import decode_image, read_local_file

TOP_K = 5
Results = dict[tuple[int, str], tuple[int, ...]]


def make_images(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """JPEGs of ImageNet size with photo-like content (colour fields plus grain).

    Pure noise would compress badly and decode slower than photographs; these come out
    near 90 KiB at quality 90, close to ImageNet's average file size (about 110 KB).
    """
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        width, height = (500, 375) if i % 4 else (375, 500)
        coarse = rng.integers(0, 256, (height // 10 + 2, width // 10 + 2, 3), dtype=np.uint8)
        field = np.asarray(Image.fromarray(coarse).resize((width, height), Image.BICUBIC))
        pixels = np.clip(field + rng.normal(0, 12, field.shape), 0, 255).astype(np.uint8)
        path = folder / f"{i:05d}.jpg"
        Image.fromarray(pixels).save(path, quality=90)
        paths.append(path)
    return paths


class OwnTransformDataset(Dataset):
    """The natural single-model loader: read, decode, apply the model's timm transform."""

    def __init__(self, paths: list[Path], transform: Callable) -> None:
        self.paths = paths
        self.transform = transform

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.transform(decode_image(read_local_file(self.paths[index])))


def _autocast(args: argparse.Namespace):
    device_type = torch.device(args.device).type
    return torch.autocast(device_type, dtype=torch.bfloat16) if args.bf16 else nullcontext()


def run_naive(paths: list[Path], models: list[LoadedModel], args: argparse.Namespace) -> Results:
    """Each model on its own: its own DataLoader decoding every image again."""
    device = torch.device(args.device)
    results = {}
    for model in models:
        loader = DataLoader(
            OwnTransformDataset(paths, model.spec.full_transform()),
            batch_size=args.batch_size,
            num_workers=args.workers,
            pin_memory=device.type == "cuda",
        )
        row = 0
        with torch.inference_mode():
            for batch in loader:
                x = batch.to(device, non_blocking=True)
                x = x.contiguous(memory_format=torch.channels_last)
                with _autocast(args):
                    logits = model.module(x)
                for indices in logits.float().softmax(-1).topk(TOP_K).indices.cpu().tolist():
                    results[(row, model.name)] = tuple(indices)
                    row += 1
    return results


def run_shared(paths: list[Path], models: list[LoadedModel], args: argparse.Namespace) -> Results:
    """The ensemble path: models_zoo.inference.iter_predictions."""
    items = [(i, str(path)) for i, path in enumerate(paths)]
    results = {}
    for batch in iter_predictions(
        items, models, batch_size=args.batch_size, num_workers=args.workers, bf16=args.bf16
    ):
        if batch.failures:
            raise RuntimeError(f"benchmark images failed: {batch.failures[:3]}")
        for p in batch.predictions:
            results[(p.image_key, p.model_name)] = p.indices
    return results


def warm_up(models: list[LoadedModel], args: argparse.Namespace) -> None:
    """One forward per model so lazy initialisation is not timed."""
    with torch.inference_mode(), _autocast(args):
        for model in models:
            x = torch.zeros(2, *model.spec.input_size, device=args.device)
            model.module(x.contiguous(memory_format=torch.channels_last))
    _sync(args)


def _sync(args: argparse.Namespace) -> None:
    if torch.device(args.device).type == "cuda":
        torch.cuda.synchronize()


def _cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (the loader workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn: Callable, *fn_args: object) -> tuple[Results, float, float]:
    """Result, wall seconds and CPU seconds of one run."""
    cpu, start = _cpu_seconds(), time.perf_counter()
    out = fn(*fn_args)
    _sync(fn_args[-1])
    return out, time.perf_counter() - start, _cpu_seconds() - cpu


def bench_config(
    ensemble: str, paths: list[Path], args: argparse.Namespace, repeats: int
) -> dict[str, float]:
    """Time shared and naive runs of ``ensemble``; return images/s, ratios, agreement.

    Runs alternate (shared, naive, naive, shared, ...) and the fastest run of each path
    counts, so background load biases neither side.
    """
    models = load_models(
        ensemble,
        weights_dir=args.weights_dir,
        random_weights=args.weights_dir is None,
        device=args.device,
    )
    warm_up(models, args)
    runs: dict[str, list[tuple[float, float]]] = {"shared": [], "naive": []}
    outputs = {}
    order = ["shared", "naive", "naive", "shared"] * repeats
    for path in order[: 2 * repeats]:
        fn = run_shared if path == "shared" else run_naive
        outputs[path], wall, cpu = timed(fn, paths, models, args)
        runs[path].append((wall, cpu))
    figures = _figures(len(paths), runs, outputs["shared"], outputs["naive"])
    _report(ensemble, models, runs, figures)
    return figures


def _figures(
    count: int, runs: dict[str, list[tuple[float, float]]], shared: Results, naive: Results
) -> dict[str, float]:
    shared_s, naive_s = (min(wall for wall, _ in runs[p]) for p in ("shared", "naive"))
    shared_cpu, naive_cpu = (min(cpu for _, cpu in runs[p]) for p in ("shared", "naive"))
    return {
        "images_per_s": count / shared_s,
        "ratio_vs_naive": naive_s / shared_s,
        "naive_images_per_s": count / naive_s,
        "cpu_ms_per_image": 1000 * shared_cpu / count,
        "naive_cpu_ms_per_image": 1000 * naive_cpu / count,
        "cpu_ratio_vs_naive": naive_cpu / shared_cpu,
        "top5_agreement": sum(shared[k] == naive.get(k) for k in shared) / max(len(shared), 1),
    }


def _report(
    ensemble: str,
    models: list[LoadedModel],
    runs: dict[str, list[tuple[float, float]]],
    figures: dict[str, float],
) -> None:
    shared, naive = (" ".join(f"{wall:.2f}" for wall, _ in runs[p]) for p in ("shared", "naive"))
    print(f"\n[{ensemble}] {len(models)} models: {', '.join(m.name for m in models)}")
    print(
        f"  shared decode  : {figures['images_per_s']:8.1f} images/s, "
        f"{figures['cpu_ms_per_image']:6.1f} CPU ms/image  (wall s per run: {shared})"
    )
    print(
        f"  naive per-model: {figures['naive_images_per_s']:8.1f} images/s, "
        f"{figures['naive_cpu_ms_per_image']:6.1f} CPU ms/image  (wall s per run: {naive})"
    )
    print(
        f"  speed-up       : {figures['ratio_vs_naive']:.2f}x wall, "
        f"{figures['cpu_ratio_vs_naive']:.2f}x less CPU work"
    )
    print(f"  same top-5 in  : {figures['top5_agreement']:.1%} of (image, model) pairs")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--ensemble", default="small", help="second configuration ('none' to skip it)"
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast (both paths)")
    parser.add_argument("--weights-dir", default=None, help="real weights (default: random)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per path (tiny)")
    parser.add_argument("--second-repeats", type=int, default=1, help="same, for --ensemble")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="finelabel-bench-") as tmp:
        paths = make_images(Path(tmp), args.images)
        mean_kib = sum(p.stat().st_size for p in paths) / len(paths) / 1024
        print(
            f"{len(paths)} JPEGs ~500x375 (mean {mean_kib:.0f} KiB), batch {args.batch_size}, "
            f"{args.workers} workers, device {args.device}, bf16 {args.bf16}, "
            f"torch threads {torch.get_num_threads()}, "
            f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}"
        )
        tiny = bench_config("tiny", paths, args, args.repeats)
        other = (
            bench_config(args.ensemble, paths, args, args.second_repeats)
            if args.ensemble != "none"
            else {}
        )
    line = [f"{k}={v:.3f}" for k, v in tiny.items()]
    line += [f"{args.ensemble}_{k}={v:.3f}" for k, v in other.items()]
    print(" ".join(line))


if __name__ == "__main__":
    main()
