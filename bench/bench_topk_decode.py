"""TopK decoding from the k active decoder rows (`F.embedding_bag`) against dense decoding (`acts @ W_dec`).

For d_sae in (16384, 32768), k = 32, d_in in (768, 128), it times, on the same coder weights and the same batch:
decoding alone, the coder's forward pass, and forward + backward of its loss, and checks that both paths give the
same loss and the same decoder gradient. Ratios are dense time / sparse time, measured in this run.

    OMP_NUM_THREADS=1 python bench/bench_topk_decode.py [--batch 512] [--reps 5] [--device cpu]
"""
from __future__ import annotations
import argparse, dataclasses, os, time
import torch
from prisma_nb.sae.coders import CoderConfig, SparseCoder


def best_times(fns: dict, reps: int, device: str) -> dict:
    "Fastest of `reps` timed calls of each function, after one warm-up call each; calls alternate, so load changes hit all alike."
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    for fn in fns.values(): fn(); sync()
    times = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            start = time.perf_counter(); fn(); sync()
            times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}


def compare(d_in: int, d_sae: int, k: int, batch: int, reps: int, device: str) -> dict:
    "Times and agreement of dense and sparse decoding for one size."
    cfg = CoderConfig(d_in=d_in, d_sae=d_sae, architecture="topk", k=k)
    coders = {mode: SparseCoder(dataclasses.replace(cfg, decode_mode=mode), seed=0).to(device) for mode in ("dense", "sparse")}
    gen = torch.Generator().manual_seed(1)
    x = (torch.randn(batch, d_in, generator=gen) / d_in ** 0.5).to(device)
    with torch.no_grad():
        pre, acts, _, (values, indices) = coders["dense"]._features(x, hooked=False)

    def decode(mode):
        coder = coders[mode]
        return (lambda: acts @ coder.W_dec + coder.b_dec) if mode == "dense" else (lambda: coder.decode_sparse(values, indices))

    def forward(mode):
        return lambda: coders[mode](x)

    def train_step(mode):
        coder = coders[mode]
        def step():
            coder.zero_grad(set_to_none=True)
            coder.loss(x)["loss"].backward()
        return step

    row = dict(d_in=d_in, d_sae=d_sae, k=k, batch=batch)
    with torch.no_grad():
        for name, make in (("decode", decode), ("forward", forward)):
            t = best_times({mode: make(mode) for mode in ("dense", "sparse")}, reps, device)
            t_dense, t_sparse = t["dense"], t["sparse"]
            row[f"{name} ms dense"], row[f"{name} ms sparse"], row[f"{name} ×"] = 1e3 * t_dense, 1e3 * t_sparse, t_dense / t_sparse
    t = best_times({mode: train_step(mode) for mode in ("dense", "sparse")}, reps, device)
    t_dense, t_sparse = t["dense"], t["sparse"]
    row["fwd+bwd ms dense"], row["fwd+bwd ms sparse"], row["fwd+bwd ×"] = 1e3 * t_dense, 1e3 * t_sparse, t_dense / t_sparse

    losses, grads = {}, {}
    for mode, coder in coders.items():
        coder.zero_grad(set_to_none=True)
        loss = coder.loss(x)["loss"]
        loss.backward()
        losses[mode], grads[mode] = loss.item(), coder.W_dec.grad
    row["loss"] = losses["dense"]
    row["|Δloss|"] = abs(losses["dense"] - losses["sparse"])
    row["max |ΔW_dec.grad|"] = (grads["dense"] - grads["sparse"]).abs().max().item()
    assert row["|Δloss|"] <= 1e-5 * max(1.0, abs(losses["dense"])), row
    assert row["max |ΔW_dec.grad|"] <= 1e-5 * max(1.0, grads["dense"].abs().max().item()), row
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=512, help="tokens per batch")
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions (the fastest is kept)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load = ", load average %.1f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    print(f"torch {torch.__version__}, device {args.device}, {torch.get_num_threads()} thread(s), batch {args.batch}, k {args.k}{load}")
    cols = ["d_in", "d_sae", "decode ×", "forward ×", "fwd+bwd ×", "fwd+bwd ms dense", "fwd+bwd ms sparse", "loss", "|Δloss|", "max |ΔW_dec.grad|"]
    print(" | ".join(cols))
    for d_in in (768, 128):
        for d_sae in (16384, 32768):
            row = compare(d_in, d_sae, args.k, args.batch, args.reps, args.device)
            print(" | ".join(f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c]) for c in cols), flush=True)


if __name__ == "__main__":
    main()
