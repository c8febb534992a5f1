"""The Dawid-Skene stage on a paper-scale CONTAINS campaign (pipeline/stages/dawid_skene.py).

Run: `BENCH_DATABASE_URL=postgres://.../DB .venv/bin/python bench/contains_dawid_skene.py
[--images N] [--reuse]`. Setup as bench/contains.py (its own PostgreSQL database, 10,000
images, grids by the real stage, 9 simulated answers per grid with 10% spammers), then quality
control by the paper's rules. Timed: loading the votes, the fit alone, the whole stage (load,
fit, store), and the stage with the ensemble as one more voter. Printed beside: how the
estimated accuracies compare with the control rules' verdicts. Last line:
`votes=N load_s=... fit_s=... stage_s=... with_model_s=...`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.contains import make_campaign, setup_django, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reuse", action="store_true", help="reuse an earlier run's campaign")
    args = parser.parse_args()
    setup_django()
    from crowd.models import ContainsAnswer, QcStatus
    from pipeline.models import Campaign, WorkerQuality
    from pipeline.rules.contains_votes import estimate
    from pipeline.stages import dawid_skene
    from pipeline.stages.contains_qc import run_qc

    name = f"bench-contains-{args.images}"
    campaign = Campaign.objects.filter(name=name, seed=args.seed).first()
    answered = ContainsAnswer.objects.filter(grid__campaign=campaign).exists()
    if not args.reuse or campaign is None or not answered:
        campaign = make_campaign(args.images, args.seed)
    timed("quality control (paper's rules)", run_qc, campaign)

    votes, load_s = timed("load the votes", dawid_skene.load_votes, campaign)
    grids, sizes = np.unique(votes.item_grids, return_counts=True)
    n_votes = int(sizes[np.searchsorted(grids, votes.answer_grids)].sum())
    print(f"  {len(votes.answer_ids)} answers, {n_votes} votes")
    est, fit_s = timed("fit (core alone)", estimate, votes)
    print(f"  {len(est.pair_images)} pairs, {est.iterations} EM steps, prior {est.prior:.3f}")
    result, stage_s = timed("stage: load, fit, store", dawid_skene.compute_probabilities, campaign)
    Campaign.objects.filter(pk=campaign.pk).update(dawid_skene_with_model=True)
    campaign.refresh_from_db()
    _, model_s = timed("stage with the ensemble", dawid_skene.compute_probabilities, campaign)
    Campaign.objects.filter(pk=campaign.pk).update(dawid_skene_with_model=False)

    dropped = set(
        ContainsAnswer.objects.filter(grid__campaign=campaign, qc_status=QcStatus.DROPPED_WORKER)
        .values_list("worker_id", flat=True)
        .distinct()
    )
    accuracy = dict(
        WorkerQuality.objects.filter(campaign=campaign).values_list("worker_id", "accuracy")
    )
    low = {w for w, a in accuracy.items() if a < 0.7}
    kept = [a for w, a in accuracy.items() if w not in dropped]
    print(
        f"  {len(accuracy)} workers; control rules drop {len(dropped)}, accuracy < 0.7 "
        f"{len(low)}, both {len(low & dropped)}; median accuracy of the kept "
        f"{np.median(kept):.3f}; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"votes={n_votes} load_s={load_s:.2f} fit_s={fit_s:.2f} stage_s={stage_s:.2f} "
        f"with_model_s={model_s:.2f}"
    )
    del result


if __name__ == "__main__":
    main()
