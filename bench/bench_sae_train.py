"""Training throughput (tokens/s) of `prisma_nb.sae.train` against SAELens, on identical activations and sizes.

Both trainers see the same pre-generated batches (random sparse combinations of random directions, so the loss
can fall), with the same batch size, steps, learning rate and sparsity settings, on one pinned torch thread. Each
row runs both trainers in interleaved rounds (the order alternates from round to round); a trainer's throughput in a
round is 4096 tokens over its median step (each trainer's own loop, timed in CPU seconds of this process between
batch requests), and the table gives the median [range] over rounds of the throughputs and of their ratio. Final
quality is the MSE and L0 of each trained SAE on a held-out batch (last round).

Two kinds of ReLU-L1 rows. "init" rows train from each trainer's own initialisation: there ~60% of the ReLU codes
are non-zero, so both trainers do the same five dense products a step. "steady" rows measure the regime of real
training, where ReLU-L1 codes are sparse: both trainers start from the SAME weights, a kaiming-uniform dictionary
(unit decoder rows, encoder = decoder transposed, b_dec = 0) whose encoder bias puts each feature's threshold at the
98th percentile of its pre-activations on the first batch, so ~2% of the features fire (L0 ≈ 0.02·d_sae); they then
train the same steps on the same batches. TopK rows train from initialisation (always k active). SAELens's TopK runs
its dense path: its sparse one (`use_sparse_activations=True`) crashes on CPU (`aten::view` has no SparseCPU kernel),
which the bench checks and prints. Run (SAELens in a side environment, not a dependency of prisma_nb):

    python3 -m venv SIDE && SIDE/bin/pip install -c constraints.txt sae-lens fastcore
    PYTHONPATH=. SIDE/bin/python bench/bench_sae_train.py [--rounds 3] [--sizes 128,768] [--quick]
"""
import argparse, dataclasses, os, statistics, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from benchlib import setup, target, load, spread, med
from prisma_nb.zoo.compat import import_transformers
from prisma_nb.sae.coders import CoderConfig, SparseCoder
from prisma_nb.sae.train import TrainConfig, train_sae

HOOK = "blocks.0.hook_resid_post"


def make_batches(d_in: int, n_batches: int, batch_size: int, seed: int = 0) -> list[torch.Tensor]:
    "Sparse combinations of 4·d_in random unit directions plus a little noise: data an SAE can learn."
    g = torch.Generator().manual_seed(seed)
    directions = torch.nn.functional.normalize(torch.randn(4 * d_in, d_in, generator=g), dim=-1)
    out = []
    for _ in range(n_batches):
        codes = (torch.rand(batch_size, 4 * d_in, generator=g) < 8 / (4 * d_in)) * torch.rand(batch_size, 4 * d_in, generator=g) * 3
        out.append(codes @ directions + 0.05 * torch.randn(batch_size, d_in, generator=g))
    return out


def timed(batches: list[torch.Tensor], stamps: list[float]):
    "Yield `batches`, appending the time of each request to `stamps`: consecutive stamps bracket one training step."
    for b in batches:
        stamps.append(time.process_time())
        yield b
    stamps.append(time.process_time())


def median_step(stamps: list[float]) -> float:
    "Median seconds between batch requests: one step each, robust to bursts of load from other processes."
    gaps = sorted(b - a for a, b in zip(stamps, stamps[1:]))
    return gaps[len(gaps) // 2]


class ListSource:
    "The given batches, in order, through the `batches` interface of an activation store; the training pass is timed."
    def __init__(self, batches: list[torch.Tensor]): self.list, self.hooks, self.stamps = batches, [HOOK], []
    @property
    def n_rows(self) -> int: return sum(len(b) for b in self.list)
    def d(self, hook: str) -> int: return self.list[0].shape[1]
    def batches(self, batch_size, epochs=1, seed=0, hooks=None, drop_last=False, **kwargs):
        self.stamps = []  # the last call is the training pass (the first reads the rows for initialisation)
        for b in timed(self.list, self.stamps): yield {HOOK: b}


@torch.no_grad()
def held_out_scores(encode, decode, x: torch.Tensor) -> tuple[float, float]:
    "Reconstruction MSE (summed over the width, averaged over rows) and L0 of a trained SAE on held-out rows."
    acts = encode(x)
    return (decode(acts) - x).pow(2).sum(-1).mean().item(), (acts > 0).float().sum(-1).mean().item()


def steady_weights(x: torch.Tensor, d_sae: int, density: float = 0.02, seed: int = 0) -> dict[str, torch.Tensor]:
    "Weights (SAELens layout) at which a fraction `density` of the features fire on `x`: the shared start of the steady rows."
    g = torch.Generator().manual_seed(seed)
    W_dec = torch.nn.functional.normalize(torch.rand(d_sae, x.shape[1], generator=g) * 2 - 1, dim=-1)
    W_enc = W_dec.T.contiguous()
    return dict(W_enc=W_enc, b_enc=-(x @ W_enc).quantile(1 - density, dim=0), W_dec=W_dec, b_dec=torch.zeros(x.shape[1]))


def run_prisma(batches, held_out, arch: str, d_sae: int, k: int, l1: float, lr: float, weights: dict | None = None) -> tuple[float, float, tuple]:
    "Seconds of prisma_nb's trainer (whole run, median step), and the held-out (MSE, L0) of the SAE it trained."
    d_in = batches[0].shape[1]
    coder = (CoderConfig(d_in=d_in, d_sae=d_sae, hook=HOOK, architecture="relu", l1_coefficient=l1) if arch == "relu"
             else CoderConfig(d_in=d_in, d_sae=d_sae, hook=HOOK, architecture="topk", k=k))
    if weights is not None:
        coder = SparseCoder(dataclasses.replace(coder, l1_weighted_by_decoder_norm=arch == "relu"))  # what decoder_norm='l1_scaled' sets
        with torch.no_grad():
            for name, w in weights.items(): getattr(coder, name).copy_(w)
    cfg = TrainConfig(lr=lr, batch_size=len(batches[0]), total_steps=len(batches), decoder_bias_init="zeros", init_rows=len(batches[0]),
                      decoder_norm="l1_scaled" if arch == "relu" else "unit", log_every=len(batches), progress=False,
                      init="kaiming" if weights is None else "coder")
    source = ListSource(batches)
    start = time.perf_counter()
    result = train_sae(source, coder, cfg)
    seconds, sae = time.perf_counter() - start, result.coders[0].eval()
    return seconds, median_step(source.stamps), held_out_scores(sae.encode, sae.decode, held_out)


def run_saelens(batches, held_out, arch: str, d_sae: int, k: int, l1: float, lr: float, weights: dict | None = None) -> tuple[float, float, tuple]:
    "Seconds of SAELens's SAETrainer (its own training loop, on the same batches), and the held-out (MSE, L0) of its SAE."
    import_transformers()  # torchvision fix before SAELens imports transformers
    from sae_lens import StandardTrainingSAE, StandardTrainingSAEConfig, TopKTrainingSAE, TopKTrainingSAEConfig
    from sae_lens.config import SAETrainerConfig
    from sae_lens.training.sae_trainer import SAETrainer
    d_in, bs = batches[0].shape[1], len(batches[0])
    sae = (StandardTrainingSAE(StandardTrainingSAEConfig(d_in=d_in, d_sae=d_sae, l1_coefficient=l1)) if arch == "relu"
           else TopKTrainingSAE(TopKTrainingSAEConfig(d_in=d_in, d_sae=d_sae, k=k)))
    if weights is not None:
        with torch.no_grad():
            for name, w in weights.items(): getattr(sae, name).copy_(w)
    cfg = SAETrainerConfig(total_training_samples=bs * len(batches), train_batch_size_samples=bs, lr=lr, lr_end=lr)
    stamps = []
    trainer = SAETrainer(cfg, sae, timed(batches, stamps))
    start = time.perf_counter()
    trainer.fit()
    seconds = time.perf_counter() - start
    sae.eval()
    return seconds, median_step(stamps), held_out_scores(sae.encode, sae.decode, held_out)


def saelens_sparse_topk_on_cpu() -> str:
    "Try SAELens's sparse TopK path for a few CPU steps; what happened, in one line."
    import_transformers()
    from sae_lens import TopKTrainingSAE, TopKTrainingSAEConfig
    from sae_lens.config import SAETrainerConfig
    from sae_lens.training.sae_trainer import SAETrainer
    sae = TopKTrainingSAE(TopKTrainingSAEConfig(d_in=64, d_sae=1024, k=8, use_sparse_activations=True))
    cfg = SAETrainerConfig(total_training_samples=2 * 256, train_batch_size_samples=256, lr=4e-4, lr_end=4e-4)
    try:
        SAETrainer(cfg, sae, iter([torch.randn(256, 64) for _ in range(2)])).fit()
        return "trains (so the TopK rows could also compare against it)"
    except Exception as e:   # the failure is the finding: report it
        return f"fails with {type(e).__name__}: {str(e).splitlines()[0][:90]}..., so dense is its only working TopK path here"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer steps, for a smoke test")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per row")
    parser.add_argument("--sizes", default="128,768", help="d_in values (d_sae = 16 d_in)")
    args = parser.parse_args()
    setup(1, f"{args.rounds} interleaved rounds per row, tokens/s from each trainer's median step in CPU seconds, median [range] over rounds")
    print(f"SAELens sparse TopK (use_sparse_activations=True) on CPU: {saelens_sparse_topk_on_cpu()}")
    steps = {128: 4 if args.quick else 20, 768: 3 if args.quick else 5}
    print(f"{'d_in':>5} {'d_sae':>6} {'arch':>5} {'start':>6} {'steps':>5} | {'prisma tok/s':>22} {'SAELens tok/s':>22} {'prisma/SAELens':>18} | "
          f"{'held-out MSE prisma':>19} {'SAELens':>8} | {'L0 prisma':>9} {'SAELens':>8}")
    worst = {}
    for d_in in [int(d) for d in args.sizes.split(",")]:
        *batches, held_out = make_batches(d_in, steps.get(d_in, 5) + 1, 4096)
        for arch, start in (("relu", "init"), ("relu", "steady"), ("topk", "init")):
            kw = dict(d_sae=16 * d_in, k=32, l1=5e-3 if arch == "relu" else 0.0, lr=4e-4,
                      weights=steady_weights(batches[0], 16 * d_in) if start == "steady" else None)
            tok = {"prisma": [], "saelens": []}
            for r in range(args.rounds):
                for who in (("prisma", "saelens") if r % 2 == 0 else ("saelens", "prisma")):
                    _, step, scores = (run_prisma if who == "prisma" else run_saelens)(batches, held_out, arch, **kw)
                    tok[who].append(4096 / step)
                    if who == "prisma": mse_p, l0_p = scores
                    else: mse_s, l0_s = scores
            ratio = [a / b for a, b in zip(tok["prisma"], tok["saelens"])]
            worst[(d_in, arch, start)] = med(ratio)
            print(f"{d_in:>5} {16 * d_in:>6} {arch:>5} {start:>6} {len(batches):>5} | {spread(tok['prisma'], fmt='.0f'):>22} "
                  f"{spread(tok['saelens'], fmt='.0f'):>22} {spread(ratio, fmt='.2f'):>18} | {mse_p:>19.4g} {mse_s:>8.4g} | {l0_p:>9.1f} {l0_s:>8.1f}", flush=True)
    print(f"load average at the end {load()}")
    for (d_in, arch, start), r in worst.items():
        target(f"prisma / SAELens throughput, d_in {d_in} {arch} {start}", r, 1.0)


if __name__ == "__main__": main()
