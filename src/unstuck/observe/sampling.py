"""Which training steps are watched in detail.

Always-on observation is limited to counters and a few attribute reads per step;
the expensive instruments (op tracing with TorchFunctionMode, module hooks, graph
walks, statistics) run on *sampled* ticks only. Profiles trade detail for speed,
like Cockpit's economy/business/full.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Sampling:
    warmup: int = 8  # every one of the first `warmup` ticks is watched
    early_every: int = 10  # then every k-th tick up to `early_until`
    early_until: int = 200
    every: int = 50  # then every k-th tick
    # From this tick on, the interval doubles each time the tick count doubles, so a long run
    # keeps a logarithmic number of watched steps and the Trace (memory) stays bounded.
    thin_after: int = 2000

    def sampled(self, tick: int, stretch: int = 1, width: int = 1) -> bool:
        """Whether `tick` is watched. `stretch` (a power of two, >= 1) widens the intervals
        after `early_until` when watched steps are expensive (see Session.advance); the warm-up
        and the early ticks are always watched as configured: they are what most rules judge,
        and in a short run they are all the evidence there is (a mode switched after the first
        epoch, a collapse at the end). `width` consecutive ticks are watched at each interval:
        with several optimizers each step is a tick, so a GAN's discriminator and generator
        steps alternate, and watching one tick in ten would only ever see one of them."""
        if tick < self.warmup:
            return True
        if tick < self.early_until:
            return tick % self.early_every < width
        every = self.every * stretch
        if self.thin_after and tick >= self.thin_after:
            every <<= (tick // self.thin_after).bit_length() - 1
        return tick % every < width


MAX_WIDTH = 4  # optimizers whose steps are watched together, at most


PROFILES = {
    "economy": Sampling(warmup=5, early_every=25, early_until=100, every=100),
    "default": Sampling(),
    "full": Sampling(warmup=10**9),
}


class Pace:
    """How much a watched step costs next to a plain one, measured as the run goes, and the
    `stretch` of the sampling intervals it calls for: when watched steps are expensive, the
    steps after the warm-up are watched less often, so the whole loop stays within about
    `budget` of its plain time (the warm-up ticks, which the rules rely on, are always watched)."""

    WINDOW = 9  # recent step times kept of each kind (medians: robust to a slow evaluation step)
    MIN_SEEN = 3  # of each kind before the pace is trusted

    def __init__(self, budget: float = 0.025, max_stretch: int = 4) -> None:
        self.budget = budget
        self.max_stretch = max_stretch
        self.plain: list[float] = []
        self.watched: list[float] = []

    def record(self, seconds: float, watched: bool) -> None:
        times = self.watched if watched else self.plain
        times.append(seconds)
        if len(times) > self.WINDOW:
            del times[0]

    def ratio(self) -> float | None:
        if len(self.plain) < self.MIN_SEEN or len(self.watched) < self.MIN_SEEN:
            return None
        plain = sorted(self.plain)[len(self.plain) // 2]
        return sorted(self.watched)[len(self.watched) // 2] / plain if plain > 0 else None

    def stretch(self, every: int) -> int:
        """The interval multiplier that keeps (ratio - 1) / (every * stretch) within budget."""
        r = self.ratio()
        if r is None or r <= 1:
            return 1
        return max(1, min(self.max_stretch, math.ceil((r - 1) / (every * self.budget))))
