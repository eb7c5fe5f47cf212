"""The vocabulary of consequences: groups of causes and symptoms that rules name in their
`@rule(..., explains=...)`.

A rule's `explains` is the one declaration of what its cause can produce when it is present
(`diagnose.consequences` unions it over every rule of a cause, and `diagnose.rank` folds a
finding under the finding whose cause explains it). The relation must stay acyclic (a test
checks it): along every chain the earlier cause is the one to fix, so code bugs come before
data scales, the data before the learning rate, the learning rate before gradient health,
and gradient health before symptoms.

This module imports nothing, so every rule module can import it.
"""
from __future__ import annotations

# What a broken training run looks like from outside, whatever broke it.
SYMPTOMS = ("loss-plateau", "prediction-collapse", "below-baseline", "cannot-overfit")
# How a wrong gradient or a wrong scale shows up in the gradients and the numbers.
GRADIENT_HEALTH = ("exploding-gradients", "vanishing-gradients", "dead-relu", "nonfinite-values")
# A wrong gradient makes any learning rate look wrong: too high where it is inflated,
# too low where it is deflated or never applied.
LEARNING_RATE = ("lr-too-high", "lr-too-low")
WRONG_GRADIENT = GRADIENT_HEALTH + LEARNING_RATE + SYMPTOMS
NO_UPDATE = ("lr-too-low",) + SYMPTOMS  # parameters (nearly) do not move
