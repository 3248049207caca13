"""Steering against ground truth, beyond the notebooks: edits of zero on another model and coder architecture, and the
protocol's comparisons between ways of picking a concept's feature."""
import pytest
import torch
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.analysis.steering import steer_features, steer_direction, steer_neurons, train_toy_sae
from prisma_nb.analysis.probes import shapes_targets
from prisma_nb.analysis.specificity import build_setup, clean_run, suppression_trial, matched_norm_sweep

@pytest.fixture(scope="module")
def bench():
    "The protocol's setup on toy/shapes-2l with a TopK SAE, and 48 test images."
    with torch.no_grad():   # scoped: a global set_grad_enabled(False) here would leak into every later test of the session
        return build_setup(load_hooked_model("toy/shapes-2l"), "topk"), shapes_targets(ShapesWorld("test", n=48))

@pytest.fixture(scope="module")
def protocol(bench):
    setup, targets = bench
    with torch.no_grad():
        run = clean_run(setup, targets)
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

def test_random_direction_has_the_ground_truth_edit_length(protocol):
    "Matched norm as the issue means it: on every target token the random edit is as long as the ground-truth edit."
    assert abs(protocol["random direction"]["push"] - protocol["ground truth"]["push"]) <= 1e-4
    assert protocol["automatic"]["push"] > 2 * protocol["ground truth"]["push"]     # the automatic pick's edit is longer

def test_matched_norm_sees_a_concept_direction(bench):
    "The measurement can tell a direction that carries the concept from a random one of the same length."
    setup, targets = bench
    sweep = matched_norm_sweep(setup, targets, "colour", ratios=(0.2,))
    concept, random_ = sweep["concept direction"]["target_change"][0], sweep["random direction"]["target_change"][0]
    assert concept >= 3 * random_ and concept >= 0.5, f"concept direction {concept:.2f}, random direction {random_:.2f} of target patches"

@pytest.mark.xfail(strict=True, reason="measured, not assumed (analysis.specificity, 'Why a random direction keeps up'): the toy SAEs have "
                   "no colour or shape latent (best F1 < 0.5, 2 distinct best-F1 latents for 8 colours here), so the ground-truth edit "
                   "suppresses objectness; at matched length its decoder direction moves the probe no more than a random direction "
                   "(14 % against 19 % of colour target patches at 0.2 x the token's length, mean over 4 setups), and at -2 x max "
                   "the random direction changes 48 % against 62 % here. An SAE trained on object-balanced tokens has colour latents and passes "
                   "on toy/shapes-2l (95 % against 33 %), but not on toy/shapes-3l (99 % against 73 %), so the test does not rest on it")
def test_random_direction_changes_far_fewer_target_patches_than_ground_truth(protocol):
    gt, rd = protocol["ground truth"]["target_change"], protocol["random direction"]["target_change"]
    assert rd <= 0.5 * gt, f"random direction {rd:.2f}, ground truth {gt:.2f} of target patches"
