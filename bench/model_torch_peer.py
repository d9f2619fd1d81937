#!/usr/bin/python3
"""PyTorch peer of bench/model_bench.cpp: the same hlf and inclusive models, trained and evaluated
the PyTorch way, for the per-core throughput comparison of issue 7 (docs/performance.md, "Model").

Run with Debian's python3-torch: /usr/bin/python3 bench/model_torch_peer.py [--threads 1]

Models (SparkDLTrigger section 4, the sizes of src/model):
  hlf:       14 -> 50 -> 20 -> 10 (ReLU) -> 3
  inclusive: [GRU(19 -> 50), last state, dropout 0.2] + [dropout 0.2 of the 14] -> 25 (ReLU) -> 3
Softmax cross-entropy, Adam (lr 1e-3, betas 0.9/0.999, eps 1e-7), batch 128.

nn.GRU computes the same step equations as Keras's GRU(reset_after=True), which trigml reproduces
on oneDNN (n = tanh(W_n x + b_in + r * (U_n h + b_hn)), h' = (1 - z) * n + z * h), but it is not the
same layer: its weights are stored [3H, C] with gates (r, z, n) instead of Keras's [C, 3H] with
(z, r, h), and it is initialised uniformly in +-1/sqrt(H) instead of Glorot/orthogonal. The same
arithmetic per step, so a fair speed peer, not a numerically identical model.

Data: random events with 280-320 particles (uniform, as a length-grouped batch; about 300), 19
floats per particle, kept as the trainer would hand them over: each batch's particle rows
concatenated event after event, plus lengths, 14 high-level floats and a label per event. Each timed
step includes turning that batch into tensors: by default padding to the batch's longest event
(batch-first [N, T, 19]) and taking each event's output at its own last particle, as trigml does;
with --packed, torch.nn.utils.rnn.pack_padded_sequence (the GRU stops at each event's end).

Reported: events per second of process CPU time (per core when --threads 1) and of wall time.
"""
import argparse
import time

import numpy as np
import torch
from torch import nn

BATCH = 128
PARTICLE_FEATURES = 19
HLF_FEATURES = 14


class Hlf(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(HLF_FEATURES, 50), nn.ReLU(), nn.Linear(50, 20), nn.ReLU(),
                                 nn.Linear(20, 10), nn.ReLU(), nn.Linear(10, 3))

    def forward(self, hlf, particles, lengths):
        return self.net(hlf)


class Inclusive(nn.Module):
    def __init__(self, packed):
        super().__init__()
        self.packed = packed
        self.gru = nn.GRU(PARTICLE_FEATURES, 50, batch_first=True)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(50 + HLF_FEATURES, 25)
        self.out = nn.Linear(25, 3)

    def forward(self, hlf, particles, lengths):
        if self.packed:
            packed = nn.utils.rnn.pack_padded_sequence(particles, lengths, batch_first=True,
                                                       enforce_sorted=False)
            _, h_n = self.gru(packed)  # each event's state at its own last particle
            last = h_n[0]
        else:
            seq, _ = self.gru(particles)
            last = seq[torch.arange(seq.size(0)), lengths - 1]
        joined = torch.cat([self.drop(last), self.drop(hlf)], dim=1)
        return self.out(torch.relu(self.head(joined)))


def make_batches(count, rng):
    """Batches as a loader hands them over: concatenated rows, lengths, hlf, labels (numpy)."""
    batches = []
    for _ in range(count):
        lengths = rng.integers(280, 321, size=BATCH)
        rows = rng.standard_normal((int(lengths.sum()), PARTICLE_FEATURES), dtype=np.float32)
        hlf = rng.standard_normal((BATCH, HLF_FEATURES), dtype=np.float32)
        labels = np.arange(BATCH, dtype=np.int64) % 3
        batches.append((rows, lengths, hlf, labels))
    return batches


def to_tensors(batch, with_particles):
    """The batch as model inputs: particles padded to the longest event, [N, T, 19]."""
    rows, lengths, hlf, labels = batch
    if not with_particles:
        return torch.from_numpy(hlf), None, None, torch.from_numpy(labels)
    padded = np.zeros((BATCH, int(lengths.max()), PARTICLE_FEATURES), dtype=np.float32)
    start = 0
    for i, n in enumerate(lengths):
        padded[i, :n] = rows[start:start + n]
        start += n
    return (torch.from_numpy(hlf), torch.from_numpy(padded), torch.from_numpy(lengths),
            torch.from_numpy(labels))


def measure(name, step, batches, min_seconds):
    step(batches[0])  # warm-up
    events, i = 0, 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while True:
        step(batches[i % len(batches)])
        events += BATCH
        i += 1
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        if cpu >= min_seconds and i >= 3:
            break
    print(f"{name:28s} {1e3 * cpu / i:9.2f} ms CPU/batch {events / cpu:10.0f} events/s per CPU-second "
          f"{events / wall:10.0f} events/s wall  ({i} batches)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-seconds", type=float, default=5.0)
    parser.add_argument("--packed", action="store_true", help="pack_padded_sequence instead of padding")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    batches = make_batches(8, np.random.default_rng(1))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {BATCH}, "
          f"{'packed' if args.packed else 'padded to the batch maximum'}")

    for name, model in (("hlf", Hlf()), ("inclusive", Inclusive(args.packed))):
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
        loss_fn = nn.CrossEntropyLoss()

        def train_step(batch, name=name, model=model, optimizer=optimizer, loss_fn=loss_fn):
            hlf, particles, lengths, labels = to_tensors(batch, name != "hlf")
            model.train()
            optimizer.zero_grad()
            loss = loss_fn(model(hlf, particles, lengths), labels)
            loss.backward()
            optimizer.step()
            return loss.item()

        def infer(batch, name=name, model=model):
            hlf, particles, lengths, _ = to_tensors(batch, name != "hlf")
            model.eval()
            with torch.no_grad():
                return model(hlf, particles, lengths).numpy()

        measure(f"{name} train step", train_step, batches, args.min_seconds)
        measure(f"{name} logits (eval)", infer, batches, args.min_seconds)


if __name__ == "__main__":
    main()
