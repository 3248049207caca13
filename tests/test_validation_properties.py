"""Property-based tests of the one field-check mechanism: every generated config (or config JSON) either builds a
working model, coder or training run, or is refused with a ValueError / TypeError that names a field; never a deep
torch error. Deterministic (derandomised) and bounded, so the default suite stays fast."""
import dataclasses, json, math
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from prisma_nb.config import ViTConfig, ConfigError, ACTIVATIONS, POOLINGS, HEADS, HEAD_ACTIVATIONS, FINAL_NORMS, ROTARY_KINDS
from prisma_nb.vit import HookedViT
from prisma_nb.sae.coders import CoderConfig, SparseCoder, ARCHITECTURES, KINDS, INPUT_NORMS, DECODE_MODES, K_ARCHITECTURES
from prisma_nb.sae.train import (TrainConfig, TensorSource, train_sae, TrainingDivergedError, LR_SCHEDULES, NORMALIZATIONS,
                                 DECODER_BIAS_INITS, DECODER_NORMS, DEAD_FEATURE_METHODS)

# derandomised: the same examples every run; no shrinking: a failure reports its example as drawn, at once
FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate])

# values a careless file or caller could put in any field
JUNK = st.sampled_from(["false", "true", "big", "2", "", "gelu ", 2.0, 0.5, -1, 0, True, False, None, float("nan"),
                        float("inf"), [8], [64, 64, 64], [1.5, 2], {}, {"a": 1}, ["a", 3]])

def fields_with_one_junk(valid: dict, base: dict) -> st.SearchStrategy:
    "Keyword arguments: `base`, then any of the `valid` fields, and in about half the examples one field set to junk."
    def spoil(args):
        kwargs, junk = args
        return kwargs if junk is None else {**kwargs, junk[0]: junk[1]}
    kwargs = st.fixed_dictionaries({}, optional=valid).map(lambda d: {**base, **d})
    return st.tuples(kwargs, st.one_of(st.none(), st.tuples(st.sampled_from(sorted(valid)), JUNK))).map(spoil)

OUTCOMES = {}   # (what, 'built' or 'refused') -> examples, so a last test can show both outcomes were exercised

def names_a_field(error: BaseException, cls) -> bool:
    names = [f.name for f in dataclasses.fields(cls)] + ["format_version", f"unknown {cls.__name__} field"]
    return any(n in str(error) for n in names)

def refused_well(error: BaseException, cls):
    "The error is a ValueError or TypeError whose message names a field of `cls`."
    OUTCOMES[cls.__name__, "refused"] = OUTCOMES.get((cls.__name__, "refused"), 0) + 1
    assert isinstance(error, (ValueError, TypeError)), f"{type(error).__name__}: {error}"
    assert names_a_field(error, cls), f"the message names no field: {error}"

# ---- ViTConfig ----------------------------------------------------------------------------------------------------
size = st.one_of(st.integers(2, 12), st.lists(st.integers(2, 12), min_size=2, max_size=2))
VIT_FIELDS = dict(
    d_model=st.sampled_from([8, 12, 16, 24]), n_layers=st.integers(1, 2), n_heads=st.sampled_from([1, 2, 3, 4]),
    image_size=size, patch_size=st.one_of(st.integers(1, 6), st.lists(st.integers(1, 6), min_size=2, max_size=2)),
    n_channels=st.integers(1, 3), d_head=st.one_of(st.none(), st.integers(2, 12)), d_mlp=st.one_of(st.none(), st.integers(4, 24)),
    attn_only=st.booleans(), act_fn=st.sampled_from(ACTIVATIONS), gated_mlp=st.booleans(), eps=st.sampled_from([1e-6, 1e-5, 0.1]),
    cls_token=st.booleans(), n_registers=st.integers(0, 2), ln_pre=st.booleans(), layer_scale=st.booleans(),
    pool=st.sampled_from(POOLINGS), head=st.sampled_from(HEADS), head_act=st.sampled_from(HEAD_ACTIVATIONS),
    final_norm=st.sampled_from(FINAL_NORMS), rotary=st.sampled_from(ROTARY_KINDS), rotary_base=st.sampled_from([100.0, 10000]),
    n_classes=st.one_of(st.none(), st.integers(1, 5)), d_proj=st.one_of(st.none(), st.integers(1, 8)),
    class_names=st.one_of(st.none(), st.lists(st.text("abc", min_size=1, max_size=3), min_size=1, max_size=5)),
    n_frames=st.one_of(st.none(), st.integers(1, 4)), tubelet_size=st.sampled_from([1, 1, 2]))

vit_kwargs = fields_with_one_junk(VIT_FIELDS, {"d_model": 16, "n_layers": 1, "n_heads": 2, "n_classes": 3})

def built(what: str): OUTCOMES[what, "built"] = OUTCOMES.get((what, "built"), 0) + 1

def check_vit(make):
    "`make()` builds a config; then a model from it must run a forward pass on input of its shape."
    try: cfg = make()
    except Exception as e: return refused_well(e, ViTConfig)
    model = HookedViT(cfg).eval()
    h, w = cfg.image_size
    shape = (2, cfg.n_frames, cfg.n_channels, h, w) if cfg.is_video else (2, cfg.n_channels, h, w)
    with torch.no_grad(): out = model(torch.randn(shape))
    assert out.shape[0] == 2 and torch.isfinite(out).all()
    built("ViTConfig")

@FAST
@given(vit_kwargs)
def test_vit_config_builds_a_working_model_or_names_the_field(kwargs):
    check_vit(lambda: ViTConfig(**kwargs))

@FAST
@given(vit_kwargs)
def test_vit_config_json_builds_a_working_model_or_names_the_field(kwargs):
    text = json.dumps({"format_version": 1, **kwargs})   # NaN and Infinity go through as JSON's extensions
    check_vit(lambda: ViTConfig.from_json(text))

# ---- CoderConfig --------------------------------------------------------------------------------------------------
CODER_FIELDS = dict(
    architecture=st.sampled_from(ARCHITECTURES), kind=st.sampled_from(KINDS), d_out=st.one_of(st.none(), st.integers(1, 12)),
    hook=st.one_of(st.none(), st.just("blocks.0.hook_resid_post")), out_hook=st.one_of(st.none(), st.just("blocks.0.hook_mlp_out")),
    hooks=st.one_of(st.none(), st.just(["a", "b"]), st.just(["a", "a"])), k=st.one_of(st.none(), st.integers(1, 40)),
    l1_coefficient=st.sampled_from([0, 1e-3, 1.0]), l1_weighted_by_decoder_norm=st.booleans(),
    jumprelu_threshold=st.sampled_from([1e-3, 0.1]), jumprelu_bandwidth=st.sampled_from([1e-3, 0.1]),
    prefix_sizes=st.one_of(st.none(), st.just([8, 32]), st.just([16, 8])), skip_connection=st.booleans(),
    apply_b_dec_to_input=st.one_of(st.none(), st.booleans()), aux_k=st.one_of(st.none(), st.integers(1, 8)),
    aux_coefficient=st.sampled_from([0, 1 / 32]), threshold_beta=st.sampled_from([0, 0.5, 0.999]),
    input_norm=st.sampled_from(INPUT_NORMS), decode_mode=st.sampled_from(DECODE_MODES), dtype=st.sampled_from(["float32", "float64", "bfloat16"]),
    model_name=st.one_of(st.none(), st.just("toy/shapes-2l")), tokens=st.sampled_from(["all", "cls", "spatial"]),
    metadata=st.dictionaries(st.text("xyz", max_size=2), st.integers(0, 3), max_size=2))

coder_kwargs = fields_with_one_junk(CODER_FIELDS, {"d_in": 8, "d_sae": 32})

def check_coder(make):
    try: cfg = make()
    except Exception as e: return refused_well(e, CoderConfig)
    coder = SparseCoder(cfg, seed=0)
    dtype = getattr(torch, cfg.dtype)
    x = torch.randn(6, *coder.in_shape, dtype=dtype)
    target = torch.randn(6, *coder.out_shape, dtype=dtype) if cfg.kind == "transcoder" else None
    terms = coder.train().loss(x, target)                        # training mode runs every architecture
    terms["loss"].backward()
    assert torch.isfinite(terms["loss"])
    if cfg.architecture not in ("batchtopk", "matryoshka"):      # these need a threshold from training for eval mode
        with torch.no_grad(): assert coder.eval()(x).shape == (6, *coder.out_shape)
    built("CoderConfig")

@FAST
@given(coder_kwargs)
def test_coder_config_builds_a_working_coder_or_names_the_field(kwargs):
    check_coder(lambda: CoderConfig(**kwargs))

@FAST
@given(coder_kwargs)
def test_coder_config_json_builds_a_working_coder_or_names_the_field(kwargs):
    check_coder(lambda: CoderConfig.from_json(json.dumps(kwargs)))

# ---- TrainConfig --------------------------------------------------------------------------------------------------
TRAIN_FIELDS = dict(
    lr=st.sampled_from([1e-4, 1e-3]), betas=st.sampled_from([(0.9, 0.999), [0.5, 0.9]]), batch_size=st.sampled_from([8, 16, 64, 1000]),
    total_steps=st.one_of(st.none(), st.integers(1, 3)), total_tokens=st.one_of(st.none(), st.integers(1, 48)), epochs=st.integers(1, 2),
    seed=st.integers(0, 3), lr_schedule=st.sampled_from(LR_SCHEDULES), warmup_steps=st.integers(0, 3), lr_end_factor=st.sampled_from([0, 0.5, 1]),
    l1_warmup_steps=st.integers(0, 3), grad_clip_norm=st.one_of(st.none(), st.just(1.0)), init=st.sampled_from(["kaiming", "coder"]),
    init_encoder_from_decoder=st.booleans(), decoder_init_norm=st.one_of(st.none(), st.just(0.1)),
    decoder_bias_init=st.sampled_from(DECODER_BIAS_INITS), init_rows=st.integers(1, 64), normalize=st.sampled_from(NORMALIZATIONS),
    decoder_norm=st.sampled_from(DECODER_NORMS), dead_features=st.sampled_from(DEAD_FEATURE_METHODS), dead_feature_window=st.integers(1, 3),
    resample_every=st.integers(1, 3), early_stopping_patience=st.one_of(st.none(), st.integers(1, 3)),
    early_stopping_metric=st.sampled_from(["loss", "mse"]), early_stopping_min_delta=st.sampled_from([0, 0.1]),
    keep_checkpoints=st.integers(1, 2), log_every=st.integers(1, 3), device=st.just("cpu"), progress=st.just(False))

train_kwargs = fields_with_one_junk(TRAIN_FIELDS, {"total_steps": 2, "progress": False}).map(
    lambda d: {**d, "progress": False} if d.get("progress") is True else d)   # no progress bars in the test log

SOURCE = TensorSource({"h": torch.randn(48, 8, generator=torch.Generator().manual_seed(0))})

def check_training(make, coder):
    try: cfg = make()
    except Exception as e: return refused_well(e, TrainConfig)
    try: result = train_sae(SOURCE, coder, cfg)
    except TrainingDivergedError: return                          # a clear stop, naming the step: not a crash
    except (ValueError, TypeError) as e: return refused_well(e, TrainConfig)
    assert result.steps >= 1 and all(torch.isfinite(p).all() for p in result.coders[0].parameters())
    built("TrainConfig")

@settings(FAST, max_examples=40)
@given(train_kwargs, st.sampled_from(["relu", "topk"]))
def test_train_config_trains_or_names_the_field(kwargs, arch):
    coder = CoderConfig(d_in=8, d_sae=16, hook="h", architecture=arch, k=4 if arch == "topk" else None)
    check_training(lambda: TrainConfig(**kwargs), coder)

@settings(FAST, max_examples=20)
@given(train_kwargs)
def test_train_config_json_trains_or_names_the_field(kwargs):
    check_training(lambda: TrainConfig.from_json(json.dumps(kwargs)), CoderConfig(d_in=8, d_sae=16, hook="h"))

# ---- documents that are not a config ------------------------------------------------------------------------------
json_values = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.text("ab", max_size=3),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("ab", max_size=3), inner, max_size=3), max_leaves=6)

@FAST
@given(json_values, st.sampled_from([ViTConfig, CoderConfig, TrainConfig]))
def test_any_json_document_is_a_config_or_refused_naming_the_file(tmp_path_factory, doc, cls):
    path = tmp_path_factory.mktemp("doc") / "config.json"
    path.write_text(json.dumps(doc))
    try: cls.from_json(path)
    except (ValueError, TypeError) as e:
        assert str(path) in str(e), e                               # the file is named
        if isinstance(doc, dict): assert names_a_field(e, cls), e
        else: assert "not a JSON object" in str(e), e

def test_both_outcomes_were_exercised():
    "The properties above built working objects and refused bad ones, each many times (so they can fail)."
    if not any(k[1] == "built" for k in OUTCOMES): pytest.skip("run with the property tests above")
    for what in ("ViTConfig", "CoderConfig", "TrainConfig"):
        assert OUTCOMES.get((what, "built"), 0) >= 10 and OUTCOMES.get((what, "refused"), 0) >= 10, OUTCOMES
