"""Builders for review tests: images with ImageNet-style sources, predictions, reviewers."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from catalogue.models import Dataset, Image, LabelClass
from pipeline.models import ModelPrediction
from tests.crowd.factories import make_image


def val_image(dataset: Dataset, number: int, label: LabelClass, files: bool = False) -> Image:
    """An image imported from ILSVRC2012_val_<number>.JPEG."""
    image = make_image(dataset, label, files)
    image.source = f"/data/imagenet/val/{label.wnid}/ILSVRC2012_val_{number:08d}.JPEG"
    image.save(update_fields=["source"])
    return image


def predict(model: str, image: Image, *indices: int, probability: float = 0.9) -> ModelPrediction:
    rest = (1 - probability) / max(1, len(indices) - 1)
    return ModelPrediction.objects.create(
        image=image,
        model_name=model,
        weights="test",
        labels=list(indices),
        probabilities=[probability] + [rest] * (len(indices) - 1),
    )


def staff(username: str, password: str = "pw-review-1"):
    return get_user_model().objects.create_user(username=username, password=password, is_staff=True)
