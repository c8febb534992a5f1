"""The slice without dogs (Shankar et al. 2020): ImageNet's classes minus the 118 dog classes
(the descendants of dog.n.01 in WordNet), 882 classes, kept as a named evaluation slice, and
the class bootstrap that scores on it are reported with (pipeline.rules.class_bootstrap)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from catalogue.models import LabelClass
from pipeline.rules.class_bootstrap import class_bootstrap_accuracy, class_bootstrap_difference
from review import evaluation as ev
from review import selectors
from review.models import EvaluationSlice
from review.services import ReviewError


@dataclass(frozen=True)
class ClassSliceReport:
    evaluation_slice: EvaluationSlice
    images: int
    classes: int  # classes kept (882 on ImageNet)
    dropped_classes: int  # dog classes left out (118)


def build_without_dogs_slice(name: str, dataset=None, description: str = "") -> ClassSliceReport:
    """Keep as slice `name` the images (of `dataset`, or all) whose dataset label is not a dog
    class. Rebuilding replaces it. Refused when the catalogue has no WordNet hierarchy (no
    class would be recognised as a dog)."""
    if not LabelClass.objects.exclude(hypernym_distances={}).exists():
        raise ReviewError(
            "The class catalogue has no WordNet hierarchy, so no dog class can be found: run "
            "`python manage.py load_imagenet_classes` with WordNet installed."
        )
    slices = selectors.class_slice_of_labels()
    kept = [pk for pk, name_ in slices.items() if name_ != ev.DOGS]
    images = selectors.images_for(dataset).filter(label_id__in=kept)
    params = {
        "kind": "without_dogs",
        "classes": len(kept),
        "dropped_classes": len(slices) - len(kept),
        "dataset": dataset.name if dataset is not None else None,
    }
    with transaction.atomic():
        evaluation_slice, _ = EvaluationSlice.objects.update_or_create(
            name=name,
            defaults={
                "description": description
                or f"images of the {len(kept)} classes that are not dogs (dog.n.01)",
                "params": params,
            },
        )
        evaluation_slice.images.set(list(images.values_list("pk", flat=True)))
    count = evaluation_slice.images.count()
    return ClassSliceReport(evaluation_slice, count, len(kept), len(slices) - len(kept))


def class_bootstrap(
    scores: Mapping[str, ev.Score],
    image_class: Mapping[int, int],
    exclude: set[int] = frozenset(),
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Each predictor's accuracy on the images it is scored on (an unclear label is not
    right), and each pair's difference on the images both are scored on, with intervals over
    resampled classes (`image_class`: image -> its dataset label). Images in `exclude`
    (problematic ones) are left out, as in the headline slices."""
    scored = (ev.CORRECT, ev.WRONG, ev.UNCLEAR)

    def outcomes(name: str) -> dict[int, bool]:
        return {
            image: outcome == ev.CORRECT
            for image, outcome in scores[name].outcomes.items()
            if outcome in scored and image not in exclude
        }

    per = {name: outcomes(name) for name in scores}
    predictors = {}
    for name, right in per.items():
        images = sorted(right)
        iv = class_bootstrap_accuracy(
            [image_class[i] for i in images], [right[i] for i in images], n_boot=n_boot, seed=seed
        )
        classes = len({image_class[i] for i in images})
        predictors[name] = {**iv.as_dict(), "classes": classes}
    names, pairs = list(per), []
    for k, a in enumerate(names):
        for b in names[k + 1 :]:
            both = sorted(set(per[a]) & set(per[b]))
            diff = class_bootstrap_difference(
                [image_class[i] for i in both],
                [per[a][i] for i in both],
                [per[b][i] for i in both],
                n_boot=n_boot,
                seed=seed,
            )
            pairs.append({"a": a, "b": b, **diff.as_dict()})
    return {"n_boot": n_boot, "predictors": predictors, "pairs": pairs}
