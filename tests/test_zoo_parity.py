"Attention pools with and without prefix tokens convert at parity; float64 sources convert exactly (1e-12), built in float64."
import pytest, torch
from torch import nn
from prisma_nb.zoo.compat import import_timm, import_open_clip, import_transformers
from prisma_nb.zoo.timm import timm_parity, scramble_weights_, from_timm_vit
from prisma_nb.zoo.open_clip import open_clip_parity, from_open_clip
from prisma_nb.zoo.hf import hf_parity, from_hf

timm = import_timm()
VT = timm.models.vision_transformer.VisionTransformer
SMALL = dict(img_size=32, patch_size=8, embed_dim=48, depth=2, num_heads=3, num_classes=7)
POOLS = {"map, no prefix": dict(class_token=False, global_pool="map"),
         "map, class token": dict(global_pool="map"),
         "map, 4 registers": dict(class_token=False, reg_tokens=4, global_pool="map"),
         "map, class token + 4 registers": dict(reg_tokens=4, global_pool="map"),
         "map, 4 registers, pool_include_prefix": dict(class_token=False, reg_tokens=4, global_pool="map", pool_include_prefix=True)}

@pytest.mark.parametrize("name", POOLS)
def test_timm_attention_pool_parity(name):
    tm = scramble_weights_(VT(**(SMALL | POOLS[name])).eval(), seed=1)
    diffs = timm_parity(tm, torch.randn(2, 3, 32, 32))
    assert len(diffs) == 2 * SMALL["depth"] + 2 and max(diffs.values()) <= 1e-4, diffs
    assert from_timm_vit(tm).cfg.map_prefix == bool(POOLS[name].get("pool_include_prefix", False))

def test_timm_so150m_reg4_map_parity():
    "The model of the report, small: 4 registers, no class token, an attention pool over the patches only."
    tm = scramble_weights_(timm.create_model("vit_so150m_patch16_reg4_map_256", img_size=64, embed_dim=64, num_heads=4, depth=2, num_classes=5).eval())
    assert tm.num_prefix_tokens == 4 and not tm.pool_include_prefix
    diffs = timm_parity(tm, torch.randn(2, 3, 64, 64))
    assert max(diffs.values()) <= 1e-4, diffs

# float64: every converter builds in the source's dtype, so a float64 source converts exactly
@torch.no_grad()
def _f64(model: nn.Module, seed: int = 0) -> nn.Module:
    "`model` in float64 with weights that float32 cannot hold (a float32 detour would round them)."
    g = torch.Generator().manual_seed(seed)
    model = model.double().eval()
    for p in model.parameters(): p.add_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 1e-3)
    return model

@pytest.mark.parametrize("name", ["plain", "map, class token + 4 registers", "layer scale, SwiGLU, mean pool"])
def test_timm_float64_exact(name):
    kw = POOLS.get(name, {}) if name != "layer scale, SwiGLU, mean pool" else dict(
        init_values=0.1, mlp_layer=timm.layers.SwiGLU, act_layer=nn.SiLU, global_pool="avg", reg_tokens=2)
    tm = _f64(scramble_weights_(VT(**(SMALL | kw)), seed=2))
    assert next(from_timm_vit(tm).parameters()).dtype == torch.float64
    diffs = timm_parity(tm, torch.randn(2, 3, 32, 32, dtype=torch.float64))
    assert max(diffs.values()) <= 1e-12, diffs

def test_open_clip_float64_exact():
    oc = import_open_clip()
    m = oc.create_model("ViT-B-32", pretrained=None, embed_dim=32, vision_cfg=dict(image_size=32, patch_size=8, width=48, layers=2, head_width=16),
                        text_cfg=dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=1))
    visual = _f64(scramble_weights_(m.visual, seed=3))
    assert next(from_open_clip(visual).parameters()).dtype == torch.float64
    diffs = open_clip_parity(visual, torch.randn(2, 3, 32, 32, dtype=torch.float64))
    assert len(diffs) == 5 and max(diffs.values()) <= 1e-12, diffs

def _hf_models():
    tr = import_transformers()
    small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8)
    yield "clip", tr.CLIPVisionModelWithProjection(tr.CLIPVisionConfig(**small, projection_dim=16))
    yield "vit", tr.ViTForImageClassification(tr.ViTConfig(**small, num_labels=5))
    yield "dinov2 + registers", tr.Dinov2WithRegistersModel(tr.Dinov2WithRegistersConfig(**{k: v for k, v in small.items() if k != "intermediate_size"}, num_register_tokens=2))
    yield "siglip (attention pool)", tr.SiglipVisionModel(tr.SiglipVisionConfig(**small))
    yield "dinov3", tr.DINOv3ViTModel(tr.DINOv3ViTConfig(**small, num_register_tokens=2, layerscale_value=0.5))

def _vjepa2():
    tr = import_transformers()
    return tr.VJEPA2Model(tr.VJEPA2Config(hidden_size=48, num_hidden_layers=2, num_attention_heads=2, crop_size=32, patch_size=8, frames_per_clip=4,
                                          tubelet_size=2, pred_hidden_size=32, pred_num_hidden_layers=1, pred_num_attention_heads=2))

@pytest.mark.parametrize("family", [f for f, _ in _hf_models()] + ["vjepa2 (video, 3-D rotary)"])
def test_hf_float64_exact(family):
    "Rotary models included: their cos and sin tables are computed in the model's dtype step by step as the source does."
    video = family.startswith("vjepa2")
    model = _f64(scramble_weights_(_vjepa2() if video else dict(_hf_models())[family], seed=4))
    assert next(from_hf(model).parameters()).dtype == torch.float64
    inputs = torch.randn(2, *((4,) if video else ()), 3, 32, 32, dtype=torch.float64)
    diffs = hf_parity(model, inputs, patterns=False)  # eager attention softmaxes in float32
    assert any(k.startswith("resid") for k in diffs) and max(diffs.values()) <= 1e-12, (family, diffs)

def test_converters_allocate_nothing_before_loading(monkeypatch):
    "The HookedViT is built on the meta device: its constructor never runs on real memory during a conversion."
    from prisma_nb import vit
    devices = []
    init = vit.HookedViT.__init__
    def spy(self, cfg):
        devices.append(torch.empty(0).device.type)  # the default device the constructor runs under
        init(self, cfg)
    monkeypatch.setattr(vit.HookedViT, "__init__", spy)
    from_timm_vit(VT(**SMALL).eval())
    assert devices and set(devices) == {"meta"}, devices
