"""A simulated campaign with every stage's output filled in, for the dashboard's benchmark, its
browser tests and a look at a populated dashboard (`manage.py sample_campaign`).

Workers are simulated: the dataset label is usually seen, some images hold a second object,
some are mislabeled, a few classes come in pairs that workers use for the same object. Written
with bulk inserts; the class catalogue must be loaded."""

from __future__ import annotations

import io
import uuid

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage

from catalogue.models import Dataset, Image, LabelClass
from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ClassifyAnswerLabel,
    ClassifyTask,
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    QcStatus,
    Worker,
)
from pipeline.models import (
    Campaign,
    CandidateLabel,
    ImageInclusion,
    ImageLabels,
    ImageObject,
    ImageObjectLabel,
    ModelPrediction,
    PotentialLabel,
    SelectionFrequency,
    StageRun,
)
from pipeline.stages.statistics import ANSWER_TABLES, CLASSIFY_ANSWER_TABLES, WRITTEN, analyze

BATCH = 5000


def _thumbnail(rng: np.random.Generator) -> bytes:
    colour = tuple(int(v) for v in rng.integers(40, 220, 3))
    img = PILImage.new("RGB", (160, 120), colour)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return buf.getvalue()


@transaction.atomic
def build_sample_campaign(
    n_images: int,
    *,
    seed: int = 0,
    n_classes: int = 100,
    n_models: int = 3,
    n_workers: int = 60,
    write_files: bool = False,
    name: str | None = None,
) -> Campaign:
    rng = np.random.default_rng(seed)
    classes = list(LabelClass.objects.order_by("index").values_list("id", "index"))
    if len(classes) < n_classes:
        raise ValueError("Load the class catalogue first: manage.py load_imagenet_classes")
    picked = rng.choice(len(classes), size=n_classes, replace=False)
    class_ids = np.array([classes[i][0] for i in picked])
    index_of = dict(classes)
    tag = uuid.uuid4().hex[:8]
    dataset = Dataset.objects.create(name=f"sample-{tag}")
    campaign = Campaign.objects.create(
        name=name or f"Sample campaign {tag}", dataset=dataset, state=Campaign.State.DONE
    )
    runs = {
        stage: StageRun.objects.create(
            campaign=campaign,
            stage=stage,
            status=StageRun.Status.DONE,
            done=n_images,
            total=n_images,
            finished_at=timezone.now(),
        )
        for stage in StageRun.Stage.values
    }

    # Images: label drawn from the picked classes; a thumbnail file when asked.
    labels = rng.choice(class_ids, size=n_images)
    images = []
    for i in range(n_images):
        key = f"sample/{tag}/{i}.jpg"
        if write_files:
            default_storage.save(key, ContentFile(_thumbnail(rng)))
        images.append(
            Image(
                dataset=dataset,
                source=f"sample/{i}.JPEG",
                label_id=int(labels[i]),
                storage_key=key,
                thumbnail_key=key,
                sha256=f"{tag}{i:056d}",
                width=160,
                height=120,
                file_size=1000,
            )
        )
    images = Image.objects.bulk_create(images, batch_size=BATCH)

    # Per image: a second object (25%), a confusable partner label (10%), mislabeled (2%).
    partner = {int(c): int(class_ids[(k + 1) % n_classes]) for k, c in enumerate(class_ids)}
    multi = rng.random(n_images) < 0.25
    confusable = rng.random(n_images) < 0.10
    mislabeled = rng.random(n_images) < 0.02
    second = rng.choice(class_ids, size=n_images)

    potential, sfs, candidates, inclusions = [], [], [], []
    sf_of: dict[tuple[int, int], float] = {}
    for i, img in enumerate(images):
        own = int(labels[i])
        others = set(int(c) for c in rng.choice(class_ids, size=12)) - {own}
        if multi[i]:
            others.add(int(second[i]))
        if confusable[i]:
            others.add(partner[own])
        others.discard(own)
        pool = [own, *sorted(others)]
        answers = 9 if rng.random() > 0.03 else 2
        row_sf = {}
        for lab in pool:
            if lab == own:
                p = 0.0 if mislabeled[i] else 0.85
            elif (multi[i] and lab == int(second[i])) or (confusable[i] and lab == partner[own]):
                p = 0.7
            else:
                p = 0.05
            sel = int(rng.binomial(answers, p))
            row_sf[lab] = sel / answers
            potential.append(
                PotentialLabel(
                    campaign=campaign,
                    image=img,
                    label_id=lab,
                    is_dataset_label=lab == own,
                    model_count=1,
                    run=runs["potential_labels"],
                )
            )
            sfs.append(
                SelectionFrequency(
                    campaign=campaign,
                    image=img,
                    label_id=lab,
                    selected=sel,
                    answers=answers,
                    frequency=sel / answers,
                    run=runs["selection_frequencies"],
                )
            )
            sf_of[(img.id, lab)] = sel / answers
        ranked = [own] + sorted((lab for lab in pool if lab != own), key=lambda x: -row_sf[x])
        for rank, lab in enumerate(ranked[:6]):
            candidates.append(
                CandidateLabel(
                    campaign=campaign,
                    image=img,
                    label_id=lab,
                    rule=1 if lab == own else 2,
                    rank=rank,
                    run=runs["candidates"],
                )
            )
        if mislabeled[i] or row_sf[own] == 0:
            category = ImageInclusion.Category.MISLABELED
        elif answers < 6:
            category = ImageInclusion.Category.AMBIGUOUS
        elif not multi[i] and not confusable[i] and rng.random() < 0.4:
            category = ImageInclusion.Category.EASY
        else:
            category = ImageInclusion.Category.FOLLOW_UP
        inclusions.append(
            ImageInclusion(campaign=campaign, image=img, category=category, run=runs["inclusion"])
        )
    PotentialLabel.objects.bulk_create(potential, batch_size=BATCH)
    SelectionFrequency.objects.bulk_create(sfs, batch_size=BATCH)
    CandidateLabel.objects.bulk_create(candidates, batch_size=BATCH)
    ImageInclusion.objects.bulk_create(inclusions, batch_size=BATCH)

    workers = Worker.objects.bulk_create(
        [
            Worker(source=Worker.Source.SIMULATED, external_id=f"{tag}-w{k}", blocked=k < 2)
            for k in range(n_workers)
        ]
    )
    _contains(campaign, images, labels, workers, rng, runs)
    follow = [i for i, inc in enumerate(inclusions) if inc.category == "follow_up"]
    _classify(
        campaign, images, labels, follow, multi, second, confusable, partner, workers, rng, runs
    )
    _predictions(images, labels, multi, second, class_ids, n_models, rng, index_of)
    # Analyzed as the stages that write these rows would have (pipeline.stages.statistics).
    analyze(
        {Image, *ANSWER_TABLES, *CLASSIFY_ANSWER_TABLES}.union(*WRITTEN.values()),
    )
    return campaign


def _contains(campaign, images, labels, workers, rng, runs) -> None:
    """Grids of 48 items (5 controls) by dataset label, 9 answers each, controls mostly found."""
    by_label: dict[int, list] = {}
    for img, lab in zip(images, labels, strict=True):
        by_label.setdefault(int(lab), []).append(img)
    grids, items, number = [], [], 0
    for lab, imgs in by_label.items():
        for start in range(0, len(imgs), 43):
            grid = ContainsGrid(
                campaign=campaign,
                number=number,
                query_id=lab,
                public_id=uuid.uuid4().hex,
                run=runs["grids"],
            )
            number += 1
            grids.append(grid)
            chunk = imgs[start : start + 43]
            controls = [
                imgs[int(k)] for k in rng.choice(len(imgs), size=min(5, len(imgs)), replace=False)
            ]
            members = [(img, False) for img in chunk]
            members += [(img, True) for img in controls if img not in chunk]
            items.append((grid, members))
    ContainsGrid.objects.bulk_create(grids, batch_size=BATCH)
    item_rows = [
        GridItem(grid=grid, position=p, image=img, is_control=ctl)
        for grid, members in items
        for p, (img, ctl) in enumerate(members)
    ]
    GridItem.objects.bulk_create(item_rows, batch_size=BATCH)
    controls_of = {}
    for row in item_rows:
        if row.is_control:
            controls_of.setdefault(row.grid_id, []).append(row)
    assignments, answers = [], []
    now = timezone.now()
    for grid in grids:
        for w in rng.choice(len(workers), size=9, replace=False):
            a = Assignment(
                campaign=campaign,
                kind="contains",
                grid=grid,
                worker=workers[w],
                status=Assignment.Status.APPROVED if rng.random() < 0.8 else "submitted",
                submitted_at=now,
            )
            assignments.append(a)
            status = QcStatus.KEPT if w >= 2 else QcStatus.DROPPED_WORKER
            answers.append(
                ContainsAnswer(assignment=a, grid=grid, worker=workers[w], qc_status=status)
            )
    Assignment.objects.bulk_create(assignments, batch_size=BATCH)
    for ans in answers:
        ans.assignment_id = ans.assignment.id
    ContainsAnswer.objects.bulk_create(answers, batch_size=BATCH)
    selections = [
        ContainsSelection(answer=ans, item=item)
        for ans in answers
        for item in controls_of.get(ans.grid_id, [])
        if rng.random() < (0.3 if ans.qc_status != QcStatus.KEPT else 0.9)
    ]
    ContainsSelection.objects.bulk_create(selections, batch_size=BATCH)


def _classify(
    campaign, images, labels, follow, multi, second, confusable, partner, workers, rng, runs
) -> None:
    """Tasks, 9 answers each, and the aggregated labels of every follow-up image."""
    tasks = ClassifyTask.objects.bulk_create(
        [
            ClassifyTask(
                campaign=campaign,
                image=images[i],
                public_id=uuid.uuid4().hex,
                run=runs["classify_tasks"],
            )
            for i in follow
        ],
        batch_size=BATCH,
    )
    assignments, answers, answer_labels = [], [], []
    final, objects, object_labels = [], [], []
    now = timezone.now()
    for task, i in zip(tasks, follow, strict=True):
        own = int(labels[i])
        two = bool(multi[i])
        main = int(second[i]) if two and rng.random() < 0.3 else own
        for w in rng.choice(len(workers), size=9, replace=False):
            a = Assignment(
                campaign=campaign,
                kind="classify",
                classify_task=task,
                worker=workers[w],
                status=Assignment.Status.APPROVED,
                submitted_at=now,
            )
            assignments.append(a)
            chosen = [own, int(second[i])] if two and rng.random() < 0.8 else [main]
            answers.append(
                (
                    ClassifyAnswer(
                        assignment=a,
                        task=task,
                        worker=workers[w],
                        main_label_id=main,
                        qc_status=QcStatus.KEPT,
                    ),
                    sorted(set(chosen)),
                )
            )
        obj_labels = [[own, partner[own]] if confusable[i] else [own]]
        if two and int(second[i]) != own:
            obj_labels.append([int(second[i])])
        final.append(
            (
                ImageLabels(
                    campaign=campaign,
                    image=images[i],
                    main_label_id=main,
                    num_objects=len(obj_labels),
                    main_object=0,
                    dataset_object=0,
                    answers=9,
                    run=runs["aggregation"],
                ),
                obj_labels,
            )
        )
    Assignment.objects.bulk_create(assignments, batch_size=BATCH)
    for ans, _ in answers:
        ans.assignment_id = ans.assignment.id
    ClassifyAnswer.objects.bulk_create([a for a, _ in answers], batch_size=BATCH)
    answer_labels = [
        ClassifyAnswerLabel(answer=a, label_id=lab) for a, chosen in answers for lab in chosen
    ]
    ClassifyAnswerLabel.objects.bulk_create(answer_labels, batch_size=BATCH)
    ImageLabels.objects.bulk_create([f for f, _ in final], batch_size=BATCH)
    for f, obj_labels in final:
        for k, labs in enumerate(obj_labels):
            objects.append((ImageObject(image_labels=f, index=k, label_id=labs[0]), labs))
    ImageObject.objects.bulk_create([o for o, _ in objects], batch_size=BATCH)
    object_labels = [
        ImageObjectLabel(object=o, label_id=lab, share=1 / len(labs), selection_frequency=0.7)
        for o, labs in objects
        for lab in labs
    ]
    ImageObjectLabel.objects.bulk_create(object_labels, batch_size=BATCH)


def _predictions(images, labels, multi, second, class_ids, n_models, rng, index_of) -> None:
    """Models of rising accuracy: the top-1 is the dataset label, the second object, or noise."""
    rows = []
    for k in range(n_models):
        accuracy = 0.55 + 0.3 * k / max(n_models - 1, 1)
        for i, img in enumerate(images):
            own = int(labels[i])
            r = rng.random()
            first = (
                own
                if r < accuracy
                else (
                    int(second[i])
                    if multi[i] and r < accuracy + 0.1
                    else int(rng.choice(class_ids))
                )
            )
            rest = [int(c) for c in rng.choice(class_ids, size=6) if int(c) != first]
            if own != first and rng.random() < 0.6:
                rest.insert(0, own)
            top5 = list(dict.fromkeys([first, *rest]))[:5]
            rows.append(
                ModelPrediction(
                    image=img,
                    model_name=f"sample_model_{k}",
                    weights="simulated",
                    labels=[index_of[c] for c in top5],
                    probabilities=[0.2] * len(top5),
                )
            )
    ModelPrediction.objects.bulk_create(rows, batch_size=BATCH)
