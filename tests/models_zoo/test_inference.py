"""Batched shared-decode inference with the tiny ensemble (random weights, CPU)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from models_zoo.inference import (
    LoadedModel,
    Prediction,
    iter_predictions,
    load_models,
    run_predictions,
)
from models_zoo.loading import decode_image, plan_work, read_local_file

_reads: list[object] = []


def read_and_record(source: str) -> bytes:
    """A read_bytes that remembers what it read (only visible with num_workers=0)."""
    _reads.append(source)
    return read_local_file(source)


def read_from_folder(source: tuple[str, str]) -> bytes:
    """A storage-like reader: the source is (folder, name), not a path."""
    folder, name = source
    return (Path(folder) / name).read_bytes()


def _by_pair(predictions: list[Prediction]) -> dict[tuple[object, str], Prediction]:
    return {(p.image_key, p.model_name): p for p in predictions}


def test_top5_shape_range_probabilities_and_flags(
    image_items: list[tuple[str, str]], tiny_models: list[LoadedModel]
) -> None:
    result = run_predictions(image_items, tiny_models, batch_size=4, num_workers=0)
    assert result.failures == []
    assert result.images == len(image_items)
    assert len(result.predictions) == len(image_items) * len(tiny_models)
    assert set(_by_pair(result.predictions)) == {
        (key, m.name) for key, _ in image_items for m in tiny_models
    }
    for p in result.predictions:
        assert len(p.indices) == len(p.probabilities) == 5
        assert len(set(p.indices)) == 5
        assert all(isinstance(i, int) and 0 <= i < 1000 for i in p.indices)
        assert all(isinstance(q, float) and 0.0 <= q <= 1.0 for q in p.probabilities)
        assert list(p.probabilities) == sorted(p.probabilities, reverse=True)
        assert sum(p.probabilities) <= 1.0 + 1e-6
        assert (p.random_weights, p.weights) == (True, "random")


def test_same_input_same_top5_across_runs_batches_and_loads(
    image_items: list[tuple[str, str]], tiny_models: list[LoadedModel]
) -> None:
    first = run_predictions(image_items, tiny_models, batch_size=4, num_workers=0)
    second = run_predictions(image_items, tiny_models, batch_size=3, num_workers=0)
    reloaded = load_models("tiny", random_weights=True)
    third = run_predictions(image_items, reloaded, batch_size=10, num_workers=0)
    expected = {k: p.indices for k, p in _by_pair(first.predictions).items()}
    for other in (second, third):
        assert {k: p.indices for k, p in _by_pair(other.predictions).items()} == expected


def test_matches_each_model_run_on_its_own(
    image_items: list[tuple[str, str]], tiny_models: list[LoadedModel]
) -> None:
    result = _by_pair(run_predictions(image_items, tiny_models, num_workers=0).predictions)
    for model in tiny_models:
        transform = model.spec.full_transform()
        batch = torch.stack(
            [transform(decode_image(read_local_file(path))) for _, path in image_items]
        )
        with torch.inference_mode():
            probs = model.module(batch).softmax(-1)
        top_p, top_i = probs.topk(5)
        for row, (key, _) in enumerate(image_items):
            ours = result[(key, model.name)]
            assert list(ours.indices) == top_i[row].tolist()
            assert list(ours.probabilities) == pytest.approx(top_p[row].tolist(), rel=1e-4)


def test_generator_yields_one_result_per_batch(
    image_items: list[tuple[str, str]], tiny_models: list[LoadedModel]
) -> None:
    batches = list(iter_predictions(image_items, tiny_models, batch_size=4, num_workers=0))
    assert len(batches) == math.ceil(len(image_items) / 4)
    assert [b.images for b in batches] == [4, 4, 2]
    assert all(len(b.predictions) == b.images * 3 for b in batches)


def test_skips_done_pairs_and_reads_no_finished_image(
    image_items: list[tuple[str, str]], tiny_models: list[LoadedModel]
) -> None:
    names = [m.name for m in tiny_models]
    done = {(key, name) for key, _ in image_items[:6] for name in names}
    done |= {(image_items[6][0], names[0]), (image_items[7][0], names[2])}
    plan = plan_work(image_items, names, done)
    assert [w.key for w in plan] == [key for key, _ in image_items[6:]]
    _reads.clear()
    result = run_predictions(
        image_items, tiny_models, done=done, read_bytes=read_and_record, num_workers=0
    )
    assert _reads == [path for _, path in image_items[6:]]
    pairs = set(_by_pair(result.predictions))
    expected = {(key, name) for key, _ in image_items for name in names} - done
    assert pairs == expected
    full = _by_pair(run_predictions(image_items, tiny_models, num_workers=0).predictions)
    for pair, prediction in _by_pair(result.predictions).items():
        assert prediction.indices == full[pair].indices
    everything = {(key, name) for key, _ in image_items for name in names}
    assert list(iter_predictions(image_items, tiny_models, done=everything)) == []


def test_corrupt_and_missing_images_are_reported_and_the_rest_processed(
    tmp_path: Path, image_items: list[tuple[str, str]], tiny_models: list[LoadedModel]
) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(Path(image_items[0][1]).read_bytes()[:300])
    items = list(image_items)
    items[2:2] = [("corrupt", str(corrupt)), ("truncated", str(truncated))]
    items.append(("missing", str(tmp_path / "absent.jpg")))
    result = run_predictions(items, tiny_models, batch_size=4, num_workers=2)
    failed = {f.image_key: f.error for f in result.failures}
    assert set(failed) == {"corrupt", "truncated", "missing"}
    assert "FileNotFoundError" in failed["missing"]
    assert result.images == len(items)
    assert {p.image_key for p in result.predictions} == {key for key, _ in image_items}
    assert len(result.predictions) == len(image_items) * len(tiny_models)


def test_custom_reader_and_two_preprocessing_groups(
    image_items: list[tuple[str, str]],
) -> None:
    models = load_models(
        ["test_vit.r160_in1k", "test_resnet.r160_in1k", "test_convnext.r160_in1k"],
        random_weights=True,
    )
    items = [(key, (str(Path(path).parent), Path(path).name)) for key, path in image_items[:5]]
    result = run_predictions(
        items, models, read_bytes=read_from_folder, batch_size=2, num_workers=1, top_k=3
    )
    assert result.failures == []
    assert len(result.predictions) == 15
    assert all(len(p.indices) == 3 for p in result.predictions)
    baseline = run_predictions(image_items[:5], models, num_workers=0, top_k=3)
    assert {k: p.indices for k, p in _by_pair(result.predictions).items()} == {
        k: p.indices for k, p in _by_pair(baseline.predictions).items()
    }


def test_rejects_bad_arguments(
    image_items: list[tuple[str, str]], tiny_models: list[LoadedModel]
) -> None:
    with pytest.raises(ValueError, match="top_k"):
        next(iter_predictions(image_items, tiny_models, top_k=0))
    with pytest.raises(ValueError, match="top_k"):
        next(iter_predictions(image_items, tiny_models, top_k=1001))
    with pytest.raises(ValueError, match="No models"):
        next(iter_predictions(image_items, []))


def test_prediction_as_dict_is_json_ready(
    image_items: list[tuple[str, str]], tiny_models: list[LoadedModel]
) -> None:
    prediction = run_predictions(image_items[:1], tiny_models[:1], num_workers=0).predictions[0]
    data = prediction.as_dict()
    assert data["image_key"] == image_items[0][0]
    assert isinstance(data["indices"], list) and isinstance(data["probabilities"], list)
    assert data["random_weights"] is True and data["weights"] == "random"


def test_normalising_in_workers_or_on_device_gives_the_same_predictions(
    image_items: list[tuple[str, str]], tiny_models: list[LoadedModel]
) -> None:
    runs = [
        run_predictions(image_items, tiny_models, num_workers=0, normalize_in_workers=flag)
        for flag in (True, False)
    ]
    in_workers, on_device = (_by_pair(r.predictions) for r in runs)
    assert in_workers.keys() == on_device.keys()
    for pair, prediction in in_workers.items():
        assert prediction.indices == on_device[pair].indices
        assert prediction.probabilities == pytest.approx(on_device[pair].probabilities)
