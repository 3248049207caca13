"""One edit-and-rerun of the steering widget on the toy ViT (what a slider move costs in the kernel), against a plain forward
pass of the same image, interleaved. Target: an edit-and-rerun in at most 200 ms.

    python bench/bench_steering.py [--rounds 30]
"""
import argparse, os, statistics, time
import torch
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.analysis.probes import shapes_targets, train_segmentation_probe
from prisma_nb.analysis.steering import SteeringSession, train_toy_sae

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    model = load_hooked_model("toy/shapes-2l")
    sae = train_toy_sae(model, "blocks.0.hook_resid_post", "topk")
    probe = train_segmentation_probe(model, "blocks.1.hook_resid_post", shapes_targets(ShapesWorld("train", n=200)), "colour")
    image = ShapesWorld("test", n=1).images([0])[0][0]
    session = SteeringSession(model, sae, image, probe)
    selection = session.clean["seg"] > 0
    feature = session.rank(selection, k=1)[0][0]
    jobs = {"plain forward": lambda: model(image[None]),
            "edit and rerun (1 feature, probe)": lambda: session.run({feature: -2.0}, selection),
            "edit and rerun (3 features, probe)": lambda: session.run({f: 1.5 for f, _ in session.rank(selection, k=3)}, selection)}
    for fn in jobs.values(): fn()  # warm up
    times = {k: [] for k in jobs}
    for _ in range(args.rounds):
        for k, fn in jobs.items():
            t = time.perf_counter(); fn(); times[k].append(1000 * (time.perf_counter() - t))
    print(f"load average {os.getloadavg()}, torch threads {torch.get_num_threads()}, {args.rounds} interleaved rounds")
    ref = statistics.median(times["plain forward"])
    for k, ts in times.items():
        print(f"{k:38s} median {statistics.median(ts):7.2f} ms  range {min(ts):7.2f}-{max(ts):7.2f} ms  ratio to plain forward {statistics.median(ts) / ref:5.2f}")
    worst = max(statistics.median(times[k]) for k in jobs if k != "plain forward")
    print(f"target: edit-and-rerun median {worst:.1f} ms <= 200 ms: ratio {worst / 200:.3f} of the target, {'met' if worst <= 200 else 'NOT met'}")

if __name__ == "__main__": main()
