"Every timm ViT architecture (the `vision_transformer` and `deit` modules) converts with parity or is refused with a ValueError naming the part."
import pytest, torch
from prisma_nb.zoo.compat import import_timm
from prisma_nb.zoo.timm import timm_parity, scramble_weights_

timm = import_timm()
SWEEP = sorted(set(timm.list_models(module="vision_transformer")) | set(timm.list_models(module="deit")))
SAMPLE = ["vit_base_patch16_18x2_224", "vit_base_patch16_xp_224", "vit_dlittle_patch16_reg1_gap_256", "vit_dpwee_patch16_reg1_gap_256",
          "vit_so150m_patch16_reg4_map_256", "vit_base_patch16_siglip_224", "vit_small_patch14_reg4_dinov2", "deit_tiny_distilled_patch16_224",
          "aimv2_large_patch14_224", "vit_base_patch16_clip_quickgelu_224", "beit3_base_patch16_224", "deit3_small_patch16_224"]
REFUSED = ("does not map onto HookedViT", "distilled DeiT")

def small_timm(name: str) -> torch.nn.Module:
    "timm's `name` with one block, 16 channels a head, at most 8×8 patches, 10 classes (if it has a head), weights scrambled."
    with torch.device("meta"): m = timm.create_model(name, depth=1)
    heads = next(mod.num_heads for mod in m.blocks[0].modules() if hasattr(mod, "num_heads"))
    patch, grid = m.patch_embed.patch_size, m.patch_embed.grid_size
    size = tuple(p * min(g, 8) for p, g in zip(patch, grid))
    tm = timm.create_model(name, depth=1, embed_dim=16 * heads, img_size=size, num_classes=10 if m.num_classes else 0).eval()
    return scramble_weights_(tm)

def converts_or_refuses(name: str) -> str:
    "'converted' (after checking parity ≤ 1e-4 on the logits, the embeddings and every block's output) or 'refused: <why>'."
    tm = small_timm(name)
    images = torch.randn(2, tm.patch_embed.proj.in_channels, *tm.patch_embed.img_size)
    try: diffs = timm_parity(tm, images)
    except ValueError as e:
        assert any(r in str(e) for r in REFUSED), (name, str(e))
        return "refused: " + str(e)
    assert {"logits", "resid_pre 0", "resid_post 0"} <= set(diffs) and max(diffs.values()) <= 1e-4, (name, diffs)
    return "converted"

def test_sweep_covers_the_registry():
    assert len(SWEEP) >= 170 and set(SAMPLE) <= set(SWEEP)

@pytest.mark.parametrize("name", SAMPLE)
def test_sample_converts_or_is_refused(name):
    torch.manual_seed(0)
    converts_or_refuses(name)

def test_sample_refusals_name_the_part():
    torch.manual_seed(0)
    want = {"vit_base_patch16_18x2_224": "block type ParallelThingsBlock", "vit_base_patch16_xp_224": "block type ParallelScalingBlock",
            "vit_dlittle_patch16_reg1_gap_256": "attention type DiffAttention", "vit_dpwee_patch16_reg1_gap_256": "block type DiffParallelScalingBlock",
            "beit3_base_patch16_224": "a norm inside the MLP (scale_mlp_norm)", "aimv2_large_patch14_224": "norm type RmsNorm"}
    for name, part in want.items(): assert part in converts_or_refuses(name), name

@pytest.mark.slow
def test_full_sweep():
    torch.manual_seed(0)
    results = {name: converts_or_refuses(name) for name in SWEEP}
    converted = [n for n, r in results.items() if r == "converted"]
    assert len(converted) >= 0.8 * len(results), len(converted)  # 148 of 179 with timm 1.0.31; the rest refused with the reason
    print(f"{len(converted)} converted, {len(results) - len(converted)} refused of {len(results)}")
