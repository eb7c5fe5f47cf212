"""Which training steps are watched in detail.

Always-on observation is limited to counters and a few attribute reads per step;
the expensive instruments (op tracing with TorchFunctionMode, module hooks, graph
walks, statistics) run on *sampled* ticks only. Profiles trade detail for speed,
like Cockpit's economy/business/full.
"""
from __future__ import annotations

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

    def sampled(self, tick: int, stretch: int = 1) -> bool:
        """Whether `tick` is watched. `stretch` (a power of two, >= 1) widens every interval
        after the warm-up when watched steps are expensive (see Session.advance); the warm-up
        ticks are always watched: they are what most rules judge."""
        if tick < self.warmup:
            return True
        if tick < self.early_until:
            return tick % (self.early_every * stretch) == 0
        every = self.every * stretch
        if self.thin_after and tick >= self.thin_after:
            every <<= (tick // self.thin_after).bit_length() - 1
        return tick % every == 0


PROFILES = {
    "economy": Sampling(warmup=5, early_every=25, early_until=100, every=100),
    "default": Sampling(),
    "full": Sampling(warmup=10**9),
}
