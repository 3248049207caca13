"The TopK training step without [batch, d_sae] passes: the trainer's dead-feature count and its steps equal the dense path's."
import dataclasses
import torch
from prisma_nb.sae.coders import CoderConfig, SparseCoder
from prisma_nb.sae.train import SAETrainer, TrainConfig

HOOK = "h"

class Rows:
    "A source of fixed batches for the trainer's constructor (the test drives its steps)."
    def __init__(self, x): self.x, self.hooks = x, [HOOK]
    @property
    def n_rows(self): return len(self.x)
    def d(self, hook): return self.x.shape[1]
    def batches(self, *args, **kwargs): yield {HOOK: self.x}

def _trainer(x, dead_features="auxk", window=2):
    cfg = CoderConfig(d_in=x.shape[1], d_sae=512, architecture="topk", k=4, hook=HOOK, dtype="float64")
    t = SAETrainer(Rows(x), [dataclasses.replace(cfg, decode_mode=m) for m in ("dense", "sparse")],
                   TrainConfig(batch_size=len(x), total_steps=100, dead_features=dead_features, dead_feature_window=window,
                               progress=False, lr=1e-2))
    t.coders[1].load_state_dict(t.coders[0].state_dict())
    return t

def test_sparse_topk_steps_match_dense():
    "Steps of the sparse path keep the same weights, losses and since-fired counters as the dense path (AuxK kicks in at step 3)."
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 16, generator=gen, dtype=torch.float64)
    t = _trainer(x)
    for step in range(5):
        fired = [(c.encode(x) > 0).any(0) for c in t.coders]   # what fired on this batch, from the dense features
        before = [s.clone() for s in t.since_fired]
        stats = [t._train_step(i, {HOOK: x}, 1e-2, 1.0) for i in (0, 1)]
        torch.testing.assert_close(stats[1], stats[0], rtol=1e-12, atol=1e-12)
        for i in (0, 1): assert torch.equal(t.since_fired[i], torch.where(fired[i], 0, before[i] + 1))
        assert torch.equal(t.since_fired[0], t.since_fired[1])
        for (name, a), b in zip(t.coders[0].named_parameters(), t.coders[1].parameters()):
            torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12, msg=name)
    assert int((t.since_fired[1] >= 2).sum()) > 0   # some features went dead, so the AuxK term ran in later steps

def test_sparse_step_builds_no_dense_features():
    "The trainer's sparse TopK step never materialises the [batch, d_sae] feature tensor (no scatter into it, no .any over it)."
    x = torch.randn(32, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    t = _trainer(x, dead_features="none")
    coder = t.coders[1]
    out = coder.loss(x, dense_acts=False)
    assert out["acts"] is None
    seen = []
    coder._activate = lambda *a, **k: seen.append("dense") or SparseCoder._activate(coder, *a, **k)  # the dense TopK activation
    t._train_step(1, {HOOK: x}, 1e-3, 1.0)
    assert seen == []
    dense_coder = t.coders[0]
    dense_coder._activate = lambda *a, **k: seen.append("dense") or SparseCoder._activate(dense_coder, *a, **k)
    t._train_step(0, {HOOK: x}, 1e-3, 1.0)
    assert seen == ["dense"]   # the probe works: the dense path goes through it
