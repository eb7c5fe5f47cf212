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


def test_processes_training_together_keep_the_base_schedule(monkeypatch):
    """Each process measures its own pace; with a process group they would then watch
    different steps, and a watched step's collectives (a sharded parameter's norm) would
    meet other ones. The stretch stays 1 however expensive watched steps are."""
    import torch.distributed as dist

    from unstuck.observe.session import Session

    def expensive_run(world_size):
        monkeypatch.setattr(dist, "is_initialized", lambda: world_size is not None)
        monkeypatch.setattr(dist, "get_world_size", lambda: world_size)
        session = Session("<test>", probes=False)
        session.start()
        try:
            for _ in range(5):
                session.pace.record(0.010, watched=False)
                session.pace.record(0.050, watched=True)
            session.last_advance = 0.0
            session.advance()
            return session.stretch
        finally:
            session.stop()

    assert expensive_run(None) == expensive_run(1) == 4
    assert expensive_run(2) == 1
