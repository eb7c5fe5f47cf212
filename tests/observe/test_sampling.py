from unstuck.observe.sampling import Pace, Sampling


def test_warmup_is_always_watched_and_a_long_run_keeps_few_watched_steps():
    s = Sampling()
    assert all(s.sampled(t, stretch=4) for t in range(s.warmup))
    assert sum(s.sampled(t) for t in range(600)) == 35
    assert sum(s.sampled(t) for t in range(100_000)) < 300  # logarithmic after `thin_after`


def test_expensive_watched_steps_stretch_the_intervals_within_bounds():
    pace = Pace(budget=0.025, max_stretch=4)
    assert pace.stretch(10) == 1  # nothing measured yet
    for _ in range(5):
        pace.record(1.0, watched=False)
        pace.record(1.5, watched=True)
    assert pace.stretch(10) == 2  # 0.5 / (10 * 2) = 0.025
    for _ in range(9):
        pace.record(9.0, watched=True)
    assert pace.stretch(10) == 4  # capped
    cheap = Pace()
    for _ in range(5):
        cheap.record(1.0, watched=False)
        cheap.record(1.2, watched=True)
    assert cheap.stretch(10) == 1
    s = Sampling()
    assert sum(s.sampled(t, 2) for t in range(600)) < sum(s.sampled(t) for t in range(600))
    early = range(s.early_until)
    assert [t for t in early if s.sampled(t, 4)] == [t for t in early if s.sampled(t)]  # evidence of short runs kept


def test_several_optimizers_have_each_of_their_steps_watched():
    """Each optimizer step is a tick: with a GAN's two optimizers stepping in turn, watching
    every 10th tick alone would only ever see the even ones (one optimizer)."""
    s = Sampling()
    two = [t for t in range(s.warmup, 600) if s.sampled(t, width=2)]
    assert {t % 2 for t in two} == {0, 1}
    assert [t for t in two if t % 2 == 0] == [t for t in range(s.warmup, 600) if s.sampled(t)]
    assert sum(s.sampled(t, width=2) for t in range(600)) <= 2 * sum(s.sampled(t) for t in range(600))
