"""The typed record of one observed run. Observers fill it; rules only read it.

Everything here is plain data (numbers, strings, shapes), never live tensors, so
rules can be unit-tested on a hand-built Trace without running any training.
A *tick* is one training step: one optimizer step (or, in scripts that update
parameters by hand, one backward pass). Detailed records are kept only on
sampled ticks (see `observe.sampling`); counters cover every tick.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Location:
    """A line of the user's own code (never inside torch or unstuck)."""

    file: str
    line: int
    function: str
    code: str = ""

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "function": self.function}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class ParamInfo:
    name: str
    numel: int
    shape: Shape
    module_type: str = ""
    layer_order: int = -1  # order in which its module first ran in a forward pass
    # layer_order of the first weight layer that ran on the same input tensor: parallel branches
    # of one input (attention's query, key and value projections) share it
    input_group: int = -1


@dataclass
class OptimizerRecord:
    key: int
    cls: str
    site: Location | None
    param_ids: tuple[int, ...]
    steps: int = 0
    # first group's lr at every step, as 8-byte doubles: a list would hold a float object
    # (32 bytes) per step when a scheduler sets a new lr each step
    lrs: array = field(default_factory=lambda: array("d"))
    initial_lr: float | None = None
    compiled_steps: int = 0  # steps taken inside torch.compile'd code (counted, not watched)
    created_tick: int = 0  # the training step count when it was created


@dataclass
class Event:
    """zero_grad / backward / step, in call order (kept on sampled ticks)."""

    kind: str  # "zero_grad" | "backward" | "step"
    tick: int
    opt: int | None  # optimizer key, None for module.zero_grad / backward
    in_step: bool  # inside optimizer.step() (an L-BFGS style closure)
    site: Location | None


@dataclass
class StepRecord:
    """What one optimizer step saw and did (sampled ticks)."""

    tick: int
    opt: int
    site: Location | None
    elems: int  # parameter elements held by the optimizer
    frozen_elems: int  # of those, requires_grad=False
    trainable_matrices: int  # parameters with 2+ dimensions and requires_grad=True
    no_grad_elems: int  # trainable but .grad is None or all zero
    backwards_since_step: int  # backward() calls outside step() since this optimizer's last step
    # gradient elements compared with the gradients the previous step used (0: not checked), and of
    # those, the elements whose gradient tensor is that same tensor, added to and never cleared
    checked_elems: int
    stale_elems: int
    unreached_elems: int | None  # trainable, ran in forward, but no backward reached them
    used_elems: int | None
    unreached_params: tuple[int, ...] = ()
    unreached_without_grad: tuple[int, ...] = ()  # of those, params whose module ran with gradients off
    hand_updated: tuple[int, ...] = ()  # of those, params seen moved with no gradient (an EMA teacher)
    update_ratio: float | None = None  # ||delta p|| / ||p|| over the optimizer's parameters
    grad_norm: float | None = None
    param_norm: float | None = None  # norm of the optimizer's parameters before the step
    lr: float | None = None
    layer_grad_norms: tuple[tuple[int, float], ...] = ()  # (param id, grad norm) of weight matrices
    layer_update_ratios: tuple[tuple[int, float], ...] = ()  # (param id, ||delta w|| / ||w||) of weight matrices
    # Over every parameter of the models seen (not only this optimizer's): elements, frozen
    # elements, and weight tensors (2+ dimensions) that can still learn
    model_elems: int = 0
    model_frozen_elems: int = 0
    model_trainable_matrices: int = 0
    # The parameters of the models that can learn, recorded only when no weight tensor can
    # (then they are few: biases, norm scales, temperatures)
    model_trainable_params: tuple[int, ...] = ()
    zero_grad_elems: int = 0  # of no_grad_elems, those with a gradient that is all zero (reached, nothing flowed)


@dataclass
class BackwardRecord:
    tick: int
    site: Location | None
    loss_value: float | None
    loss_finite: bool
    loss_is_leaf: bool  # requires grad but has no grad_fn: the graph was cut and papered over
    reached_elems: int
    in_step: bool


@dataclass
class LossCall:
    """A built-in loss function call with its inputs' shapes and statistics (sampled ticks)."""

    tick: int
    fn: str
    site: Location | None
    pred_shape: Shape
    target_shape: Shape
    value: float | None
    pred_finite: bool
    target_finite: bool
    pred_std: float | None  # spread of predictions across the batch
    target_std: float | None
    target_mean: float | None
    target_min: float | None
    target_max: float | None
    pred_min: float | None
    pred_max: float | None
    baseline: float | None  # the loss of the best constant prediction on this batch
    floor: float = 0.0  # the loss of a perfect prediction (non-zero for soft BCE targets)
    # classification: largest |row sum - 1| and |sum of exp(row) - 1| over the rows (class axis 1)
    row_sum_error: float | None = None
    row_exp_sum_error: float | None = None
    pred_in_unit: bool = False  # every value in [0, 1]
    majority_fraction: float | None = None  # classification: share of the most predicted class
    target_majority: float | None = None  # classification: share of the most frequent target class
    producer: str | None = None  # activation that produced the prediction, e.g. "softmax(dim=1)"
    producer_dim: int | None = None
    producer_ndim: int | None = None
    training: bool = True  # computed with gradients enabled (a training loss, not a validation metric)
    target_share_negative: float | None = None
    target_share_outside_unit: float | None = None  # outside [0, 1]
    target_share_outside_pm1: float | None = None  # outside [-1, 1]
    producer_site: Location | None = None  # construction of the built-in module that produced the prediction
    pred_mean: float | None = None
    # how the loss's gradient was taken (its graph node ran): 2 by backward(), 1 by autograd.grad
    # without create_graph (a gradient for an update), 0 neither (a metric, or an inner loss
    # differentiated with create_graph=True as in MAML)
    backprop: int = 0
    # Evidence for the report's pictures, on training calls only: up to MAX_PAIRS (prediction,
    # target) pairs, sample by sample, first output column against the first target column
    # (elementwise losses); per class, how many rows predicted it and how many had it as the
    # target (class losses, at most MAX_CLASSES classes).
    pairs: tuple[tuple[float, float], ...] = ()
    class_counts: tuple[tuple[int, int], ...] = ()
    # share of the rows whose predicted class is the target (class losses; binary
    # cross-entropy: the predicted side of 0.5), training and evaluation calls alike
    accuracy: float | None = None


@dataclass
class BroadcastRecord:
    """An elementwise op (or elementwise loss function) whose operands are both stretched by
    broadcasting into a bigger array; one record per source line and sampled step. `a` is the
    left operand (the prediction for a loss function)."""

    tick: int
    op: str  # "-", "+", "*", "/" or the loss function's name
    a_shape: Shape
    b_shape: Shape
    out_shape: Shape
    site: Location | None
    in_loss_fn: bool = False  # a built-in loss function, not an operator
    a_requires_grad: bool = False
    b_requires_grad: bool = False
    # every axis along which the operand is stretched was inserted by the user (x[:, None],
    # unsqueeze, view): a deliberate pairwise table
    a_explicit: bool = False
    b_explicit: bool = False
    fully_reduced: bool = False  # the result (or what it became) was reduced to a scalar


@dataclass
class CutRecord:
    """A call that can cut the autograd graph, seen on a tensor that required grad."""

    tick: int
    op: str  # detach | .data | item | numpy | torch.tensor | requires_grad_
    site: Location | None
    behind: set[int] = field(default_factory=set)  # ids of the parameters in the cut tensors' graphs (behind it)
    # A tensor cut (`.detach()`, `.data`) has its values followed through later ops on sampled steps:
    # `fed` when one of them went into a gradient pass (a loss backpropagated), so a value cut only
    # to be logged or monitored (`x.detach().norm().item()`) is not what cut the parameters off
    followed: bool = False
    fed: bool = False
    fed_behind: set[int] = field(default_factory=set)  # behind the occurrences that were fed (of `behind`)


@dataclass
class SoftmaxRecord:
    """A softmax/log_softmax computed with gradients on (sampled ticks): which axis it normalised."""

    tick: int
    fn: str  # softmax | log_softmax
    dim: int  # the normalised axis, non-negative
    shape: Shape  # shape of its input
    site: Location | None


@dataclass
class RowPick:
    """A hand-written per-sample pick of one class per row (`p[torch.arange(N), y]`,
    `p.gather(1, y[:, None])`) on a sampled training step: the rows are samples, N of them."""

    tick: int
    rows: int
    site: Location | None


@dataclass
class ReshapeRecord:
    """A `view`/`reshape` called by the user's code, with gradients on, that moves an axis in
    memory order (`[B, T, F]` viewed as `[T, B, F]`, `[B, C, H, W]` as `[B, H*W, C]`): one per
    line and sampled step."""

    tick: int
    fn: str  # view | reshape
    in_shape: Shape
    out_shape: Shape
    site: Location | None
    moved: int = 0  # the size of the axis it moves (observe.ops.moved_axis)


@dataclass
class SequenceRecord:
    """The input layout of a sequence layer (RNN/LSTM/GRU, MultiheadAttention) on a sampled
    training forward: the axis its declared layout reads as the batch, and the sizes it got."""

    tick: int
    module_type: str
    batch_first: bool
    shape: Shape  # the (first) input's shape, 3 dimensions
    site: Location | None  # the user's line that called the layer
    defined_at: Location | None = None  # the layer's construction

    @property
    def batch_size(self) -> int:
        return self.shape[0 if self.batch_first else 1]

    @property
    def time_size(self) -> int:
        return self.shape[1 if self.batch_first else 0]


@dataclass
class ModeRecord:
    tick: int
    module: str
    module_type: str
    training: bool
    grad_enabled: bool
    params_trainable: bool
    site: Location | None = None
    # Ran without gradients inside a module call whose input is attached to an autograd graph:
    # part of a differentiable op (reentrant checkpointing, a custom autograd Function's forward).
    graph_input: bool = False
    root: int = 0  # key of the root model whose forward ran it (Trace.root_params)
    # The module that holds it (its parent) has parameters and every one is frozen: a frozen
    # part of the network (a probed backbone) whose modes are the user's choice
    frozen_parent: bool = False
    # (no-gradient forwards in training mode) the parent's parameters have no gradient and were
    # moved since the last such forward: a copy the script updates itself (MoCo's key encoder)
    parent_moved: bool = False


@dataclass
class InputRecord:
    """Statistics of a root model's first input (sampled ticks)."""

    tick: int
    shape: Shape
    finite: bool
    abs_max: float | None
    feature_std_max: float | None
    feature_std_min: float | None
    mean_abs_max: float | None
    site: Location | None
    # The feature with the largest scale (max of its std and |mean|): whether every value of it
    # is a whole number (an index, a count, a timestep), and the second largest feature scale
    top_integral: bool = False
    second_scale: float | None = None


@dataclass
class ActivationRecord:
    tick: int
    kind: str  # relu, tanh, sigmoid, ...
    site: Location | None
    dead_fraction: float  # units zero (or saturated) for every sample of the batch
    units: int
    batch: int = 0  # samples in the batch (the first axis)
    training: bool = True  # gradients were enabled (a training forward pass)
    defined_at: Location | None = None  # construction of the activation module, when it is one


@dataclass
class ManualUpdateRecord:
    """A manual parameter update (no optimizer) on a sampled tick."""

    tick: int
    params_updated: int  # parameters changed in place since the last backward()
    params_stale: int  # of those, parameters whose .grad is last backward's tensor, never cleared
    # ||delta p|| / ||p|| over the updated parameters, estimated on up to 4,096 evenly spaced
    # values of each (None: not measured)
    update_ratio: float | None = None


@dataclass
class GradCallRecord:
    """torch.autograd.grad(..., create_graph=True): a loss that needs second derivatives."""

    tick: int
    site: Location | None
    create_graph: bool
    relu_nodes: int
    smooth_nodes: int
    # Every element of every returned gradient is exactly zero (None: not checked). With
    # create_graph=True this is the derivative the loss goes on to train.
    result_zero: bool | None = None


@dataclass
class ModeCall:
    """`module.train(mode)` / `module.eval()` called by the user's code (always recorded)."""

    tick: int
    training: bool
    site: Location | None
    module_type: str
    sensitive_types: tuple[str, ...]  # dropout / batch-norm module types it switched


@dataclass
class FreezeCall:
    """`requires_grad_(False)` on a module or a parameter, called by the user's code (`how`
    "call": seen as it ran, with the elements it froze), or `X.requires_grad = False` written
    in the user's source (`how` "assignment": found after the run, tick -1, elements unknown: 0)."""

    tick: int
    site: Location | None
    elems: int
    how: str = "call"


@dataclass
class LoaderFacts:
    """A `DataLoader` the script built (distributed runs): where, and with which sampler."""

    site: Location | None
    sampler: str  # class name of its sampler (DistributedSampler, RandomSampler, SequentialSampler, ...)
    distributed: bool  # the sampler is a DistributedSampler (or a subclass): each process gets its own share
    shuffle: bool | None = None  # the DistributedSampler's `shuffle` (None: not a DistributedSampler)
    stock_order: bool = False  # its order is DistributedSampler's own (__iter__ not overridden): seed + epoch
    # Each pass over the loader (an epoch or an evaluation), in order: (tick when it began, batches
    # it holds (len(loader); -1 when unknown), the DistributedSampler's epoch then (-1: none),
    # training steps taken from its start to the start of the next pass of any loader or the end
    # of the run; 0 for a pass begun with gradients disabled: an evaluation)
    passes: list[tuple[int, int, int, int]] = field(default_factory=list)
    set_epoch_calls: int = 0  # calls of its DistributedSampler's set_epoch


@dataclass
class RankFacts:
    """What one process of a distributed run saw, beside its single-process Trace
    (`observe.distributed`). Plain numbers, comparable across processes: the keys are ticks."""

    rank: int
    world_size: int
    local_rank: int | None = None
    # Class names of the distributed wrappers around the root models (DistributedDataParallel,
    # FullyShardedDataParallel, FSDPModule), empty when the model is not wrapped.
    wrappers: tuple[str, ...] = ()
    sharded: bool = False  # parameters are shards (FSDP, DTensor): replicas are not meant to be equal
    model_site: Location | None = None  # construction of the model (inside its wrapper, if any)
    wrap_site: Location | None = None  # construction of the wrapper
    # tick -> a cheap fingerprint of the input of each training forward of a root model on that
    # tick (shapes, a float64 sum and a few evenly spaced values), in call order: equal
    # fingerprints mean the same batches (every micro-batch, every model of the step)
    batches: dict[int, tuple[tuple[float, ...], ...]] = field(default_factory=dict)
    batch_site: Location | None = None  # the user's line that called the model with its first input
    # The optimizers' parameters, in the order the checksums list them
    param_names: tuple[str, ...] = ()
    param_shapes: tuple[Shape, ...] = ()
    # tick -> per parameter (float64 sum, float64 sum of absolute values) before the optimizer
    # step of that tick: before the first step (the replicas' starting point), before the steps of
    # the base sampling schedule (the same in every process), and at the end of the run
    checksums: dict[int, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    loaders: list[LoaderFacts] = field(default_factory=list)
    # Collectives (all_reduce, broadcast, reduce) the script ran on the parameters themselves
    # (averaging the replicas by hand, as in local SGD), or torch's model averagers were used
    param_syncs: int = 0
    backend: str | None = None  # the default process group's backend, once one was initialized
    steps: int = 0  # training steps (ticks) this process completed
    backward_passes: int = 0  # backward passes this process began
    joined: bool = False  # a `Join` context (DDP's `model.join()`) was entered: uneven inputs handled
    # Collectives the script ran on the optimizers' gradients (averaging gradients by hand)
    grad_syncs: int = 0
    grad_sync_site: Location | None = None  # the user's line of the first such collective
    # tick -> per parameter (float64 sum of the local gradient after the last backward pass, float64
    # sum of the gradient the optimizer step used), on sampled steps on which the script reduced
    # gradients by hand after backward: the cross-process mean of the first is the right average
    grad_checks: dict[int, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    # tick -> (per-process batch: dim 0 of the first input tensor, BatchNorm layers in training mode
    # that are not SyncBatchNorm, SyncBatchNorm layers in training mode) of the sampled training forwards
    norm_batches: dict[int, tuple[int, int, int]] = field(default_factory=dict)


@dataclass
class DistributedRun:
    """The facts of every process of a distributed run that reported back (`unstuck run
    --nproc-per-node N`); attached to the Trace of the process whose report is shown."""

    world_size: int
    ranks: list[RankFacts] = field(default_factory=list)  # by rank
    missing: tuple[int, ...] = ()  # ranks whose facts never came back (killed before writing them)


@dataclass
class Trace:
    script: str
    ticks: int = 0
    backward_calls: int = 0
    step_calls: int = 0
    zero_grad_calls: int = 0
    manual_updates: int = 0  # backward passes after which parameters changed without an optimizer
    manual_checks: list[ManualUpdateRecord] = field(default_factory=list)  # sampled manual updates
    sampled_ticks: list[int] = field(default_factory=list)
    params: dict[int, ParamInfo] = field(default_factory=dict)
    optimizers: dict[int, OptimizerRecord] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    backwards: list[BackwardRecord] = field(default_factory=list)
    losses: list[LossCall] = field(default_factory=list)
    broadcasts: list[BroadcastRecord] = field(default_factory=list)
    cuts: list[CutRecord] = field(default_factory=list)
    modes: list[ModeRecord] = field(default_factory=list)
    inputs: list[InputRecord] = field(default_factory=list)
    # The input of the first weight layer (Linear, Conv, RNN, Embedding ...) of each sampled root
    # forward: what the network's weights actually see, after any normalisation inside forward
    # (stats are None when that input is not floating point)
    layer_inputs: list[InputRecord] = field(default_factory=list)
    softmaxes: list[SoftmaxRecord] = field(default_factory=list)
    reshapes: list[ReshapeRecord] = field(default_factory=list)
    row_picks: list[RowPick] = field(default_factory=list)
    sequences: list[SequenceRecord] = field(default_factory=list)
    activations: list[ActivationRecord] = field(default_factory=list)
    grad_calls: list[GradCallRecord] = field(default_factory=list)
    # Parameters (nn.Parameter) that sampled backward passes reached, with how many passes reached them.
    grad_reached: dict[int, int] = field(default_factory=dict)
    # Weight matrices whose rows (units) were identical when their optimizer first stepped.
    symmetric_params: list[int] = field(default_factory=list)
    # Weight matrices whose columns were identical: every input unit gets the same outgoing weights.
    symmetric_inputs: list[int] = field(default_factory=list)
    # Lines where a loss that was already backpropagated is added into a new graph (running_loss += loss).
    loss_accumulations: list[CutRecord] = field(default_factory=list)
    models: list[str] = field(default_factory=list)  # class names of root modules seen
    # root model key (ModeRecord.root) -> ids of its parameters, for every root model seen
    root_params: dict[int, tuple[int, ...]] = field(default_factory=dict)
    retained_losses: int = 0  # at the latest sampled backward, earlier sampled losses still alive with graphs
    retained_checked: int = 0  # ... out of this many
    input_dependence: float | None = None  # relative output change when the input changes
    input_dependence_site: Location | None = None
    stopped_at_max_steps: bool = False
    mode_calls: list[ModeCall] = field(default_factory=list)
    freeze_calls: list[FreezeCall] = field(default_factory=list)
    # `unstuck checkup` only: the experiments' measured results (unstuck.checkup.results.CheckupResults).
    checkup: object | None = None
    # Distributed runs only: every process's distributed facts (observe.distributed).
    distributed: DistributedRun | None = None

    def param_name(self, pid: int) -> str:
        info = self.params.get(pid)
        return info.name if info else f"parameter {pid:#x}"

    def elems(self, pids) -> int:
        return sum(self.params[p].numel for p in pids if p in self.params)
