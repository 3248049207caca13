"Activation store: resuming after kill -9, and resuming through a DataLoader."
import json, os, signal, subprocess, sys, time
from pathlib import Path
import torch
from torch.utils.data import DataLoader, Dataset
from prisma_nb.sae.store import ActivationStore, ModelActivationSource, cache_activations
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.zoo.registry import load_hooked_model

HOOKS = ["blocks.0.hook_resid_post", "blocks.1.attn.hook_z"]
ARGS = dict(tokens="all", batch_size=4, shard_size=8 * 65, progress=False)  # 8 images per shard


class SlowShapes(Dataset):
    "ShapesWorld validation images, each taking `delay` seconds: time for a kill to land mid-run."
    def __init__(self, n: int, delay: float = 0.0, fail_at: int | None = None):
        self.world, self.delay, self.fail_at = ShapesWorld("val", n=n), delay, fail_at
    def __len__(self): return len(self.world)
    def __getitem__(self, i):
        if i == self.fail_at: raise RuntimeError(f"stopped at image {i}")
        time.sleep(self.delay)
        return self.world[i]


def run_caching(path: str, n: int, delay: float):
    "What the killed process runs."
    torch.set_num_threads(1)
    cache_activations(load_hooked_model("toy/shapes-2l"), SlowShapes(n, delay), HOOKS, path, **ARGS)


def _shards(path: Path) -> list[dict]:
    manifest = path / "manifest.json"
    return json.loads(manifest.read_text())["shards"] if manifest.exists() else []


def _same_store(a: ActivationStore, b: ActivationStore):
    "Same rows at every hook, bit for bit, and the same shards with the same checksums."
    assert a.manifest["shards"] == b.manifest["shards"]
    assert (a.n_rows, a.n_images) == (b.n_rows, b.n_images)
    rows = [s["rows"] for s in a.manifest["shards"]]
    assert rows[0][0] == 0 and rows[-1][1] == a.n_rows and all(x[1] == y[0] for x, y in zip(rows, rows[1:]))
    for h in HOOKS: assert torch.equal(a.read(h), b.read(h))


def test_resume_after_kill(tmp_path):
    torch.set_num_threads(1)
    n, path = 96, tmp_path / "killed"
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import test_sae_store as t; "
            f"t.run_caching({str(path)!r}, {n}, 0.03)")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while len(_shards(path)) < 3:
        assert proc.poll() is None, f"the caching process ended early: {proc.stderr.read().decode()[-2000:]}"
        assert time.time() < deadline, "the caching process wrote no shards in time"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    before = _shards(path)
    manifest = json.loads((path / "manifest.json").read_text())
    assert not manifest["complete"] and 3 <= len(before) < n // 8, "the kill should land mid-run"
    inodes = {s["file"]: (path / s["file"]).stat().st_ino for s in before}
    # a kill during a write leaves atomic_write's temporary file; make sure one is there to be cleaned up
    (path / f".shard_{len(before):05d}.safetensors.k9x2.tmp").write_bytes(b"half a shard")

    resumed = cache_activations(load_hooked_model("toy/shapes-2l"), SlowShapes(n), HOOKS, path, **ARGS)
    # the shards finished before the kill were kept, not recomputed
    assert {f: (path / f).stat().st_ino for f in inodes} == inodes
    assert [s for s in resumed.manifest["shards"][:len(before)]] == before
    assert sorted(p.name for p in path.iterdir()) == ["manifest.json"] + [f"shard_{k:05d}.safetensors" for k in range(n // 8)]

    reference = cache_activations(load_hooked_model("toy/shapes-2l"), SlowShapes(n), HOOKS, tmp_path / "reference", **ARGS)
    _same_store(resumed, reference)
    assert resumed.verify()["rows"] == n * 65


def test_resume_through_dataloader(tmp_path):
    "A loader whose batches (5) do not match the caching batches (4): an interruption, then a damaged middle shard."
    torch.set_num_threads(1)
    model, n = load_hooked_model("toy/shapes-2l"), 44
    loader = lambda data: DataLoader(data, batch_size=5, collate_fn=ShapesWorld.collate)
    reference = cache_activations(model, loader(SlowShapes(n)), HOOKS, tmp_path / "reference", **ARGS)
    assert reference.n_images == n and len(reference.manifest["shards"]) == 6  # 5 × 8 images + 4

    stopping = SlowShapes(n, fail_at=30)
    try:
        cache_activations(model, loader(stopping), HOOKS, tmp_path / "store", **ARGS)
        raise AssertionError("the interrupted run should have raised")
    except RuntimeError as e: assert "stopped at image 30" in str(e)
    assert [s["images"] for s in _shards(tmp_path / "store")] == [[0, 8], [8, 16], [16, 24]]
    stopping.fail_at = None
    _same_store(cache_activations(model, loader(stopping), HOOKS, tmp_path / "store", **ARGS), reference)

    shard = tmp_path / "store" / "shard_00002.safetensors"
    shard.write_bytes(shard.read_bytes()[:-10])
    untouched = (tmp_path / "store" / "shard_00003.safetensors").stat().st_ino
    _same_store(cache_activations(model, loader(stopping), HOOKS, tmp_path / "store", **ARGS), reference)
    assert (tmp_path / "store" / "shard_00003.safetensors").stat().st_ino == untouched


def test_source_from_dataloader():
    "The on-the-fly source reads a DataLoader too: the same rows as from the dataset itself, each once per epoch."
    torch.set_num_threads(1)
    model, data = load_hooked_model("toy/shapes-2l"), SlowShapes(12)
    source = ModelActivationSource(model, DataLoader(data, batch_size=5, collate_fn=ShapesWorld.collate), HOOKS, tokens="cls", batch_size=4)
    assert source.n_rows == 12 and source.d(HOOKS[1]) == 64
    rows = torch.cat([b[HOOKS[1]] for b in source.batches(5, buffer_size=8, epochs=2, seed=3)])
    direct = ModelActivationSource(model, data, HOOKS, tokens="cls", batch_size=4)
    expected = torch.cat([b[HOOKS[1]] for b in direct.batches(12, buffer_size=12)])
    key = lambda x: torch.sort(x.double() @ torch.linspace(1, 2, 64, dtype=torch.float64)).values
    assert torch.equal(key(rows), key(torch.cat([expected, expected])))


def test_damaged_header_is_named_without_checksums(tmp_path):
    "With verify_on_read=False only sizes are checked; a shard whose header was overwritten in place (same size) is still named, with what is wrong and the repair."
    store = cache_activations(load_hooked_model("toy/shapes-2l"), ShapesWorld("val", n=8), HOOKS[:1], tmp_path / "s", **ARGS)
    shard = tmp_path / "s" / store.manifest["shards"][0]["file"]
    data = bytearray(shard.read_bytes()); data[8:12] = b"[1, "   # the JSON header is no longer an object
    shard.write_bytes(bytes(data))
    fast = ActivationStore(tmp_path / "s", verify_on_read=False)
    try: fast.read(HOOKS[0]); raise AssertionError("a damaged shard was read")
    except ValueError as e:
        msg = str(e)
        assert str(shard) in msg and "is not a safetensors file" in msg and "re-run cache_activations" in msg, msg
