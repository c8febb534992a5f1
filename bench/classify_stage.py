"""The CLASSIFY stage shells on the database, at the scale of the published data.

Run: `DATABASE_URL=postgres://... .venv/bin/python bench/classify_stage.py [classify_dev.jsonl]`
(a migrated database with the class catalogue loaded: `manage.py load_imagenet_classes`).

Stores every published image of the file as a follow-up image of a scratch campaign, with
its candidate labels and its published answers (one worker per answer position), then times
the stage shells: tasks (`create_classify_tasks`), quality control (`run_qc`) and
aggregation (`aggregate_campaign`), and checks the stored labels against the authors'
`reference` on every image. Baseline, in the same run: the in-memory replay of the same
records (`pipeline.replay.aggregate_record`), i.e. the database round trip's overhead.
The scratch campaign and dataset are deleted at the end. Last line:
`images=... answers=... tasks_s=... qc_s=... aggregate_s=... replay_s=... aggregate_vs_replay=...
reference_match=...`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import transaction

from bench.reference_data import classify_dev_path
from catalogue.models import Dataset, Image, LabelClass
from crowd.models import Assignment, ClassifyAnswer, ClassifyAnswerLabel, ClassifyTask, Worker
from pipeline.models import Campaign, CandidateLabel, ImageInclusion
from pipeline.replay import aggregate_record, read_records
from pipeline.stages.aggregation import aggregate_campaign, stored_aggregates
from pipeline.stages.classify_qc import run_qc
from pipeline.stages.classify_tasks import create_classify_tasks

NAME = "bench-classify-stage"


def load(records: list[dict]) -> Campaign:
    """The scratch campaign: images, inclusion, candidates (tasks come from the stage)."""
    pk_of = dict(LabelClass.objects.values_list("index", "pk"))
    dataset = Dataset.objects.create(name=NAME)
    campaign = Campaign.objects.create(name=NAME, dataset=dataset, seed=1)
    images = Image.objects.bulk_create(
        Image(
            dataset=dataset,
            source=r["image"],
            label_id=pk_of[r["imagenet_label"]],
            storage_key=r["image"],
            thumbnail_key=r["image"],
            sha256=f"{n:064d}",
            width=1,
            height=1,
            file_size=1,
        )
        for n, r in enumerate(records)
    )
    ImageInclusion.objects.bulk_create(
        ImageInclusion(campaign=campaign, image=i, category=ImageInclusion.Category.FOLLOW_UP)
        for i in images
    )
    candidates = []
    for image, record in zip(images, records, strict=True):
        labels = dict.fromkeys([record["imagenet_label"]])
        labels.update(dict.fromkeys(x for r in record["responses"] for x in r["selected"]))
        candidates += [
            CandidateLabel(campaign=campaign, image=image, label_id=pk_of[x], rule=4, rank=k)
            for k, x in enumerate(labels)
        ]
    CandidateLabel.objects.bulk_create(candidates, batch_size=5000)
    return campaign


def store_answers(campaign: Campaign, records: list[dict]) -> int:
    pk_of = dict(LabelClass.objects.values_list("index", "pk"))
    workers = [
        Worker.objects.get_or_create(source="simulated", external_id=f"{NAME}-{n}")[0]
        for n in range(max(len(r["responses"]) for r in records))
    ]
    task_of = dict(
        ClassifyTask.objects.filter(campaign=campaign).values_list("image__source", "pk")
    )
    pairs = [
        (task_of[r["image"]], w, x)
        for r in records
        for w, x in zip(workers, r["responses"], strict=False)  # 6 to 9 answers per image
    ]
    assignments = Assignment.objects.bulk_create(
        (
            Assignment(campaign=campaign, kind="classify", classify_task_id=t, worker=w)
            for t, w, _ in pairs
        ),
        batch_size=5000,
    )
    answers = ClassifyAnswer.objects.bulk_create(
        (
            ClassifyAnswer(assignment=a, task_id=t, worker=w, main_label_id=pk_of[x["main"]])
            for a, (t, w, x) in zip(assignments, pairs, strict=True)
        ),
        batch_size=5000,
    )
    ClassifyAnswerLabel.objects.bulk_create(
        (
            ClassifyAnswerLabel(answer=a, label_id=pk_of[label])
            for a, (_, _, x) in zip(answers, pairs, strict=True)
            for label in x["selected"]
        ),
        batch_size=10000,
    )
    return len(answers)


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def clean() -> None:
    with transaction.atomic():
        Campaign.objects.filter(name=NAME).delete()
        Dataset.objects.filter(name=NAME).delete()
        Worker.objects.filter(external_id__startswith=f"{NAME}-").delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=classify_dev_path())
    args = parser.parse_args()
    if not LabelClass.objects.exists():
        raise SystemExit("No classes in the database: run `manage.py load_imagenet_classes`")
    with args.input.open(encoding="utf-8") as lines:
        records = list(read_records(lines))
    clean()
    try:
        campaign = load(records)
        tasks, tasks_s = timed(create_classify_tasks, campaign)
        answers = store_answers(campaign, records)
        qc, qc_s = timed(run_qc, campaign)
        labels, aggregate_s = timed(aggregate_campaign, campaign)
        _, replay_s = timed(lambda: [aggregate_record(r) for r in records])
        stored = stored_aggregates(campaign)
        image_of = dict(Image.objects.filter(dataset__name=NAME).values_list("source", "pk"))
        match = sum(stored.get(image_of[r["image"]]) == r["reference"] for r in records)
    finally:
        clean()
    print(tasks)
    print(qc)
    print(labels)
    print(
        f"images={len(records)} answers={answers} tasks_s={tasks_s:.2f} qc_s={qc_s:.2f} "
        f"aggregate_s={aggregate_s:.2f} replay_s={replay_s:.2f} "
        f"aggregate_vs_replay={aggregate_s / replay_s:.1f} "
        f"reference_match={match / len(records):.4f}"
    )


if __name__ == "__main__":
    main()
