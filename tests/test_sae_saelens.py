"""Round trip through the real `sae_lens` package, run from a side virtual environment in a subprocess (skipped when absent).

Set PRISMA_NB_SAELENS_PYTHON to the python of an environment with sae-lens installed; by default the test looks for
`side/saelens/bin/python` beside the folder that holds the repository (or two levels up)."""
import json, os, subprocess, sys, textwrap
from pathlib import Path
import pytest
import torch
from safetensors.torch import load_file, save_file
from prisma_nb.sae.coders import CoderConfig, SparseCoder
from prisma_nb.sae.formats import load_saelens, save_saelens

REPO = Path(__file__).resolve().parents[1]

def _side_python() -> Path | None:
    given = os.environ.get("PRISMA_NB_SAELENS_PYTHON")
    candidates = [Path(given)] if given else [p / "side" / "saelens" / "bin" / "python" for p in REPO.parents[:3]]
    return next((p for p in candidates if p.is_file()), None)

SIDE = _side_python()
pytestmark = pytest.mark.skipif(SIDE is None, reason="no sae-lens side environment (set PRISMA_NB_SAELENS_PYTHON)")

# runs in the side environment: SAELens loads our export and makes, saves and runs its own TopK SAE with layer_norm
SIDE_SCRIPT = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    import torch
    from safetensors.torch import load_file, save_file
    from sae_lens.saes.sae import SAE
    from sae_lens.saes.topk_sae import TopKSAE, TopKSAEConfig
    work = Path(sys.argv[1])
    inputs, out = load_file(work / "inputs.safetensors"), {}
    def run(sae, tag):
        with torch.no_grad():
            for name, x in inputs.items():
                acts = sae.encode(x)
                out[f"{tag}.{name}.acts"] = (acts.to_dense() if acts.is_sparse else acts).contiguous()
                out[f"{tag}.{name}.out"] = sae(x).contiguous()
    run(SAE.load_from_disk(work / "ours"), "ours")
    torch.manual_seed(0)
    sae = TopKSAE(TopKSAEConfig(d_in=64, d_sae=256, k=8, normalize_activations="layer_norm", dtype="float32", device="cpu"))
    with torch.no_grad():
        for p in sae.parameters(): p.copy_(torch.randn_like(p) * 0.1)
    sae.save_model(work / "theirs")
    cfg_file = work / "theirs" / "cfg.json"   # SAELens leaves the hook unset on an SAE made by hand; name one
    cfg = json.loads(cfg_file.read_text()); cfg.setdefault("metadata", {})["hook_name"] = "blocks.1.hook_resid_post"
    cfg_file.write_text(json.dumps(cfg))
    run(sae, "theirs")
    save_file(out, work / "results.safetensors")
''')

def _relative(a, b) -> float: return ((a - b).abs().max() / b.abs().max()).item()

@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    "Our TopK coder with SAELens's layer norm, exported; SAELens's own TopK SAE; both run by SAELens on small and unit inputs."
    work = tmp_path_factory.mktemp("saelens")
    g = torch.Generator().manual_seed(0)
    inputs = {"small": torch.randn(2048, 64, generator=g) * 0.05 + 0.01, "unit": torch.randn(2048, 64, generator=g) + 0.5}
    save_file(inputs, work / "inputs.safetensors")
    ours = SparseCoder(CoderConfig(d_in=64, d_sae=256, architecture="topk", k=8, hook="blocks.1.hook_resid_post",
                                   input_norm="saelens_layer_norm"), seed=0).eval()
    with torch.no_grad():
        for p in ours.parameters(): p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    save_saelens(ours, work / "ours")
    (work / "side.py").write_text(SIDE_SCRIPT)
    res = subprocess.run([str(SIDE), str(work / "side.py"), str(work)], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert res.returncode == 0, res.stderr[-3000:]
    return ours, inputs, load_file(work / "results.safetensors"), work

@pytest.mark.parametrize("scale", ["small", "unit"])
def test_saelens_runs_our_export_exactly(round_trip, scale):
    ours, inputs, results, _ = round_trip
    x = inputs[scale]
    with torch.no_grad(): out, acts = ours(x), ours.encode(x)
    assert torch.equal(acts != 0, results[f"ours.{scale}.acts"] != 0)     # TopK picks the same features on every row
    err = _relative(out, results[f"ours.{scale}.out"])
    print(f"SAELens on our export, {scale}: max relative error {err:.2e}")
    assert err < 1e-5

@pytest.mark.parametrize("scale", ["small", "unit"])
def test_we_run_saelens_own_sae_exactly(round_trip, scale):
    _, inputs, results, work = round_trip
    theirs = load_saelens(work / "theirs")
    assert theirs.cfg.input_norm == "saelens_layer_norm"
    x = inputs[scale]
    with torch.no_grad(): out, acts = theirs(x), theirs.encode(x)
    assert torch.equal(acts != 0, results[f"theirs.{scale}.acts"] != 0)
    err = _relative(out, results[f"theirs.{scale}.out"])
    print(f"our import of SAELens's SAE, {scale}: max relative error {err:.2e}")
    assert err < 1e-5
