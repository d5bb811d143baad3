"""Stages of long work as Step events: in order, never backwards, an ETA from the rate so far, complete at the end."""

from ffa_lab.experiments.progress import Stages, Step

NAMES = ("Reading", "Scoring", "Correcting")


def test_steps_move_forward_with_an_eta_and_end_complete():
    now, steps = [0.0], []
    stages = Stages(NAMES, steps.append, clock=lambda: now[0])
    read = stages.counter("Reading")
    read(5000, 5000)
    score = stages.counter("Scoring")
    score(0, 400)
    now[0] = 10.0
    score(100, 400)
    assert steps[-1].eta == 30.0 and "about 30 s left (step 2 of 3)" in steps[-1].text()
    read(10, 5000)  # a late count of a finished stage is dropped: the bar never goes back
    assert steps[-1].stage == "Scoring"
    stages.finish("Scoring")
    assert steps[-1] == Step("Scoring", 1, 3, 400, 400, 10.0) and "left" not in steps[-1].text()
    stages.finish("Correcting", 0)  # nothing to correct is still a finished stage
    assert steps[-1].overall == 1.0 and steps[-1].fraction == 1.0
    assert [s.overall for s in steps] == sorted(s.overall for s in steps)


def test_no_eta_before_the_first_item_and_minutes_for_long_waits():
    assert Step("Scoring", 1, 3, 0, 10, 5.0).eta is None
    assert "about 3 min left" in Step("Scoring", 1, 3, 10, 100, 20.0).text()
    assert Step("Scoring", 1, 3, 1_200, 5_000, 1.0).text().startswith("Scoring: 1,200 / 5,000")
