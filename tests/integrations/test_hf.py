"""Hugging Face: `unstuck run` stays silent on a healthy `Trainer.train` (the Trainer's own
zero_grad/step, gradient accumulation, clipping, a linear schedule with warmup) and names the
bugs seeded into a custom `compute_loss`; the explicit `UnstuckCallback` does the same in
plain Python. Models are built from a config: nothing is downloaded."""
from __future__ import annotations

import json
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from helpers import causes, diagnose_code

pytest.importorskip("transformers")
pytest.importorskip("accelerate")  # the Trainer needs it
pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

# argv: task (cls | reg), loss (builtin | custom | softmax | broadcast), model (bert | mlp),
# folder; then "callback" [fail_on] adds UnstuckCallback.
SCRIPT = """
import json, os, sys
os.environ["HF_HUB_OFFLINE"] = os.environ["TRANSFORMERS_OFFLINE"] = "1"
import torch, torch.nn as nn, torch.nn.functional as F
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

TASK, LOSS, MODEL, OUT = sys.argv[1:5]
torch.manual_seed(0)
torch.set_num_threads(1)
N, T = 256, 4
ids = torch.randint(1, 100, (N, T))
labels = ids[:, 0] // 10 if TASK == "cls" else (ids[:, 0].float() - 50) / 30  # 10 classes, or a number
outputs = 10 if TASK == "cls" else 1


class Rows(torch.utils.data.Dataset):
    def __len__(self):
        return N

    def __getitem__(self, i):
        return {"input_ids": ids[i], "labels": labels[i]}


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(100, 16)
        self.hidden = nn.Linear(16 * T, 64)
        self.out = nn.Linear(64, outputs)

    def forward(self, input_ids):
        return self.out(F.relu(self.hidden(self.embed(input_ids).flatten(1))))


class CustomLoss(Trainer):
    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        target = inputs.pop("labels")
        out = model(**inputs)
        logits = getattr(out, "logits", out)
        if TASK == "cls":
            loss = F.cross_entropy(logits.softmax(-1) if LOSS == "softmax" else logits, target)
        else:
            loss = F.mse_loss(logits if LOSS == "broadcast" else logits.squeeze(-1), target)  # [N,1] vs [N]
        return (loss, out) if return_outputs else loss


if MODEL == "bert":
    model = BertForSequenceClassification(BertConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=T, num_labels=outputs))
else:
    model = TinyNet()
callbacks = []
if "callback" in sys.argv:
    from unstuck.integrations.hf import UnstuckCallback
    watcher = UnstuckCallback(save_to=os.path.join(OUT, "run"), fail_on=sys.argv[6] if len(sys.argv) > 6 else None)
    callbacks.append(watcher)
sgd = TASK == "cls"  # plain SGD shows how slowly a double softmax learns (Adam rescales its small gradients)
args = TrainingArguments(
    output_dir=OUT, report_to=[], use_cpu=True, disable_tqdm=True, save_strategy="no", eval_strategy="no",
    logging_strategy="no", seed=0, remove_unused_columns=False, num_train_epochs=10, per_device_train_batch_size=16,
    gradient_accumulation_steps=2, max_grad_norm=1.0, lr_scheduler_type="linear", warmup_steps=5,
    optim="sgd" if sgd else "adamw_torch", learning_rate=0.5 if sgd else 3e-3)
trainer = (Trainer if LOSS == "builtin" else CustomLoss)(model=model, args=args, train_dataset=Rows(),
                                                         callbacks=callbacks)
trainer.train()

model.eval()
with torch.no_grad():
    out = model(input_ids=ids)
    logits = getattr(out, "logits", out)
    if TASK == "cls":
        score = (logits.argmax(-1) == labels).float().mean().item()   # accuracy
    else:
        score = F.mse_loss(logits.squeeze(-1), labels).item()
with open(os.path.join(OUT, "metric.json"), "w") as f:
    json.dump(score, f)
"""


@pytest.fixture(autouse=True)
def offline_and_threads(monkeypatch):
    """No network; the scripts run in this process and pin torch to one thread."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def run(folder, task: str, loss: str, model: str = "mlp"):
    """`unstuck run` the script; the report and the trained model's score."""
    report = diagnose_code(folder, SCRIPT, args=[task, loss, model, str(folder)])
    assert report.script_status is None, report.script_error
    return report, json.loads((folder / "metric.json").read_text())


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    """The fixed twins: a classifier (accuracy) and a regressor (MSE), with a custom compute_loss."""
    threads = torch.get_num_threads()
    try:
        return {task: run(tmp_path_factory.mktemp(task), task, "custom") for task in ("cls", "reg")}
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("task", ["cls", "reg"])
def test_healthy_custom_compute_loss_is_silent(healthy, task):
    report, score = healthy[task]
    assert report.summary["optimizer_steps"] >= 40
    assert causes(report) == []
    assert score > 0.9 if task == "cls" else score < 0.4  # accuracy; MSE (the target's variance is ~0.9)


def test_healthy_bert_with_the_trainers_own_loss_is_silent(tmp_path):
    report, accuracy = run(tmp_path, "cls", "builtin", "bert")
    assert accuracy > 0.8
    assert causes(report) == []


@pytest.mark.parametrize("task, bug, cause", [("cls", "softmax", "double-softmax"),
                                              ("reg", "broadcast", "loss-broadcast")])
def test_seeded_bug_in_compute_loss_is_named_and_learns_worse(tmp_path, healthy, task, bug, cause):
    report, score = run(tmp_path, task, bug)
    assert cause in causes(report)
    fixed = healthy[task][1]
    assert score < fixed - 0.3 if task == "cls" else score > 2 * fixed


def test_double_softmax_is_named_despite_a_logit_metric_after_training(tmp_path):
    code = SCRIPT + "print('cross-entropy', F.cross_entropy(logits, labels).item())\n"
    report = diagnose_code(tmp_path, code, args=["cls", "softmax", "mlp", str(tmp_path)])
    assert "double-softmax" in causes(report)


def _train_with_callback(tmp_path, task: str, loss: str, model: str, *options: str):
    """The script in plain Python (no `unstuck run`), with UnstuckCallback added."""
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    argv = sys.argv
    sys.argv = [str(script), task, loss, model, str(tmp_path), "callback", *options]
    try:
        return runpy.run_path(str(script), run_name="__main__")["watcher"]
    finally:
        sys.argv = argv


def test_callback_reports_healthy_bert_ok_and_saves_it(tmp_path, capsys):
    watcher = _train_with_callback(tmp_path, "cls", "builtin", "bert", "error")
    assert watcher.report.ok and not watcher.session.watching
    assert watcher.report.summary["optimizer_steps"] >= 40
    assert "unstuck report" in capsys.readouterr().out
    assert Path(watcher.saved_to).is_dir() and any(Path(watcher.saved_to).iterdir())


def test_callback_names_the_broadcast_and_fails_on_error(tmp_path):
    from unstuck.integrations.hf import UnstuckFindingsError

    with pytest.raises(UnstuckFindingsError, match="loss-broadcast") as failed:
        _train_with_callback(tmp_path, "reg", "broadcast", "bert", "error")
    assert not failed.value.report.ok
    assert "loss-broadcast" in causes(failed.value.report)


@pytest.mark.slow
def test_example_runs(tmp_path):
    example = ROOT / "examples" / "hf" / "train.py"
    env = {**__import__("os").environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, str(example)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "unstuck report" in done.stdout
