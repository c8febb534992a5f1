"""bench/load.py --adaptive: its stand-in for MTurk's side (BenchMarket) answers the product's
sync and adaptive extension as MTurk does, so that the bench's rounds count every answer handed
in and open assignments only where the stopping rules ask for more, to workers who have not
answered the task."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from bench import load
from bench.load_adaptive import BenchMarket, between_rounds, plan_round, show_query_pictures
from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ClassifyAnswerLabel,
    ClassifyOption,
    ContainsAnswer,
    ContainsSelection,
    GridItem,
    Verification,
    Worker,
)
from pipeline.models import Campaign
from pipeline.rules import adaptive as classify_rule


def pending_answer(task: load.Task, worker: str, labels=(), main=None):
    """An answer given through the HIT page with MTurk's parameters: stored pending."""
    w, _ = Worker.objects.get_or_create(source=Worker.Source.MTURK, external_id=worker)
    campaign = Campaign.objects.get(name="bench-test")
    kind = {"contains": "grid", "classify": "classify_task"}[task.kind]
    model = campaign.grids if task.kind == "contains" else campaign.classify_tasks
    target = model.get(public_id=task.public_id)
    a = Assignment.objects.create(
        campaign=campaign,
        kind=task.kind,
        worker=w,
        external_id=f"A-{worker}-{task.public_id}",
        status=Assignment.Status.SUBMITTED,
        **{kind: target},
    )
    pending = {"assignment": a, "worker": w, "verification": Verification.PENDING}
    if task.kind == "contains":
        # A careful worker: the grid's controls (pictures of the query) selected, so that the
        # answer passes the control check and counts toward the grid's floor.
        answer = ContainsAnswer.objects.create(grid=target, **pending)
        ContainsSelection.objects.bulk_create(
            ContainsSelection(answer=answer, item=item)
            for item in GridItem.objects.filter(grid=target, is_control=True)
        )
        return answer
    options = dict(ClassifyOption.objects.filter(task=target).values_list("position", "label"))
    answer = ClassifyAnswer.objects.create(task=target, main_label_id=options[main], **pending)
    ClassifyAnswerLabel.objects.bulk_create(
        ClassifyAnswerLabel(answer=answer, label_id=options[p]) for p in labels
    )
    return answer


@pytest.mark.django_db
def test_rounds_confirm_what_was_handed_in_and_open_only_what_the_rules_ask(catalogue, media_root):
    tasks = load.build_campaign(2, 3, name="bench-test", minimums=(3, 3))
    campaign = Campaign.objects.get(name="bench-test")
    controls = show_query_pictures(campaign)
    assert all(len(c) == 5 for c in controls.values())
    market = BenchMarket(campaign)
    hit = {t.public_id: f"H{t.public_id}" for t in tasks}
    assert {market.available(h) for h in hit.values()} == {3}  # published with the minimum

    grids = [t for t in tasks if t.kind == "contains"]
    agreed, split, short = (t for t in tasks if t.kind == "classify")
    votes = {agreed: [((0,), 0)] * 3, split: [((0,), 0), ((1,), 1), ((0, 2), 2)]}
    votes[short] = [((0,), 0)] * 3
    kept_back = None
    for task in grids + [agreed, split, short]:
        for n in range(3):
            labels, main = votes[task][n] if task in votes else ((), None)
            answer = pending_answer(task, f"W{n}", labels, main)
            if task is short and n == 2:
                kept_back = answer  # stored, not handed in to MTurk (yet)
                continue
            market.hand_in(hit[task.public_id], f"A-W{n}-{task.public_id}", f"W{n}", answer.pk)

    assert between_rounds(campaign, market) == (14, 3 + 3 + more_for(split, votes))
    kept_back.refresh_from_db()
    assert kept_back.verification == Verification.PENDING
    # Grids below stage 4's floor of 6 get 3 more; the agreeing task is settled; the split
    # one gets what the CLASSIFY rule asks; the short one waits for its third answer.
    assert [market.available(hit[t.public_id]) for t in tasks] == [
        3,
        3,
        0,
        more_for(split, votes),
        1,
    ]
    assert between_rounds(campaign, market) == (0, 0)  # the same answers: nothing more

    answered = defaultdict(set, {t.public_id: {0, 1, 2} for t in tasks})
    queues = plan_round(tasks, market, answered, 10, random.Random(0))
    assert sum(map(len, queues)) == 3 + 3 + more_for(split, votes) + 1
    assert not any(queues[w] for w in (0, 1, 2))  # the bench's workers 0-2 answered them all
    assert all(len(set(q)) == len(q) for q in queues)  # no worker twice on a task


def more_for(task: load.Task, votes) -> int:
    """The answers the CLASSIFY rule asks for after `votes[task]`."""
    answers = [
        ([task.labels[p] for p in labels], task.labels[main]) for labels, main in votes[task]
    ]
    return classify_rule.decide(answers, 3, 9).more
