"""Steering against ground truth, beyond the notebooks: edits of zero on another model and coder architecture, and the
protocol's comparisons between ways of picking a concept's feature."""
import pytest
import torch
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.analysis.steering import steer_features, steer_direction, steer_neurons, train_toy_sae
from prisma_nb.analysis.probes import shapes_targets
from prisma_nb.analysis.specificity import build_setup, clean_run, suppression_trial

@pytest.fixture(scope="module")
def protocol():
    with torch.no_grad():   # scoped: a global set_grad_enabled(False) here would leak into every later test of the session
        setup = build_setup(load_hooked_model("toy/shapes-2l"), "topk")
        run = clean_run(setup, shapes_targets(ShapesWorld("test", n=48)))
        out = {m: suppression_trial(setup, run, "colour", m) for m in ("ground truth", "automatic", "random feature", "random direction")}
    return {m: {k: v.double().mean().item() for k, v in o.items() if k != "features"} for m, o in out.items()}

@pytest.mark.parametrize("architecture", ["relu", "topk"])
def test_edit_of_zero_is_the_clean_run(architecture):
    with torch.no_grad():
        model = load_hooked_model("toy/shapes-3l")
        sae = train_toy_sae(model, "blocks.1.hook_resid_post", architecture)
        images, _ = ShapesWorld("test", n=6, seed=3).images(range(6))
        clean = model(images)
        every = list(range(sae.cfg.d_sae))
        for edit in (steer_features(model, sae, every, 0.0, "add"), steer_features(model, sae, every, 1.0, "scale"),
                     steer_direction(model, "blocks.1.hook_resid_post", torch.randn(64), 0.0),
                     steer_neurons(model, 1, list(range(256)), 1.0, "scale")):
            with edit: out = model(images)
            assert (out - clean).abs().max().item() <= 1e-5
            assert (model.run_with_hooks(images, fwd_hooks=edit) - clean).abs().max().item() <= 1e-5
        with steer_features(model, sae, 3, -4.0):          # and a real edit does change the output
            assert (model(images) - clean).abs().max().item() > 1e-3

def test_picked_features_beat_random_features(protocol):
    p = protocol
    assert p["automatic"]["target_change"] >= 2 * p["random feature"]["target_change"]
    assert p["ground truth"]["target_change"] > p["random feature"]["target_change"]
    for m, r in p.items(): assert r["other_change"] < r["target_change"], m     # every edit acts mostly where it is made

@pytest.mark.xfail(strict=True, reason="measured, not assumed: on the 64-wide toys a random direction at the ground-truth edit's "
                   "norm changes about as many target patches as the ground-truth feature (58 % against 67 % for colours on "
                   "toy/shapes-2l with a TopK SAE); the push's size, not its direction, drives a linear probe there")
def test_random_direction_changes_far_fewer_target_patches_than_ground_truth(protocol):
    assert protocol["random direction"]["target_change"] <= 0.5 * protocol["ground truth"]["target_change"]
