"""A tiny, healthy Hugging Face Trainer run watched by unstuck's explicit callback.

    python examples/hf/train.py      # trains a few seconds on a CPU, then prints unstuck's report

The model is a one-layer BERT built from a config (nothing is downloaded) that learns to
classify a token sequence by its first token. The same script with no callback works with
`unstuck run examples/hf/train.py`. Try breaking it: subclass Trainer with a `compute_loss`
that calls `F.cross_entropy(outputs.logits.softmax(-1), labels)`, and unstuck names
`double-softmax`.
"""
import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

from unstuck.integrations.hf import UnstuckCallback


class FirstToken(torch.utils.data.Dataset):
    """Sequences of 4 token ids; the label is the first token's decade (10 classes)."""

    def __init__(self, n: int = 256, length: int = 4):
        self.ids = torch.randint(1, 100, (n, length))

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": self.ids[i, 0] // 10}


def main() -> int:
    torch.manual_seed(0)
    torch.set_num_threads(1)  # a model this small runs faster on one thread
    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=4, num_labels=10)
    args = TrainingArguments(output_dir=tempfile.mkdtemp(), report_to=[], use_cpu=True, disable_tqdm=True,
                             save_strategy="no", logging_strategy="no", num_train_epochs=10,
                             per_device_train_batch_size=16, gradient_accumulation_steps=2, learning_rate=3e-3,
                             warmup_steps=5, lr_scheduler_type="linear", max_grad_norm=1.0)
    watcher = UnstuckCallback()  # add save_to="runs/unstuck" to keep the run, fail_on="error" for CI
    trainer = Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=FirstToken(),
                      callbacks=[watcher])
    trainer.train()
    return 0 if watcher.report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
