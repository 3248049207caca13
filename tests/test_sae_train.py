"Trainer tests that need other processes: resume after kill -9, and DDP over 2 CPU processes with gloo."
import json, os, signal, subprocess, sys, textwrap
from pathlib import Path
import pytest
import torch
from safetensors.torch import load_file

# Rows, coders and settings shared by every process of these tests: a tiny ReLU and TopK sweep on random rows.
COMMON = textwrap.dedent('''
    import os, sys, json
    import torch
    torch.set_num_threads(1)
    from safetensors.torch import save_file
    import prisma_nb.sae.train as train
    from prisma_nb.sae.train import TrainConfig, TensorSource, train_sae
    from prisma_nb.sae.coders import CoderConfig

    def rows():
        g = torch.Generator().manual_seed(0)
        directions = torch.randn(48, 16, generator=g)
        codes = (torch.rand(2048, 48, generator=g) < 0.1) * torch.rand(2048, 48, generator=g)
        return {"h": codes @ directions + 1.0}

    CODERS = [CoderConfig(d_in=16, d_sae=64, hook="h", architecture="relu", l1_coefficient=1e-2),
              CoderConfig(d_in=16, d_sae=64, hook="h", architecture="topk", k=4)]

    def config(**kw):
        base = dict(batch_size=64, total_steps=40, lr=3e-3, lr_schedule="cosine", warmup_steps=4, l1_warmup_steps=8,
                    normalize="center_and_scale", dead_features="resample", dead_feature_window=6, resample_every=10,
                    init_rows=256, log_every=5, progress=False)
        return TrainConfig(**{**base, **kw})

    def save_coders(result, path):
        save_file({f"{i}.{k}": v.contiguous() for i, c in enumerate(result.coders) for k, v in c.state_dict().items()}, path)
''')


def run_python(tmp_path: Path, body: str, *args: str, torchrun: int = 0) -> subprocess.CompletedProcess:
    script = tmp_path / f"script_{abs(hash(body))}.py"
    script.write_text(COMMON + textwrap.dedent(body))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={torchrun}"] if torchrun else [sys.executable]
    return subprocess.run([*launcher, str(script), *args], capture_output=True, text=True, env=env, timeout=300)


def load(path) -> dict[str, torch.Tensor]: return load_file(str(path))


def assert_same(a: dict, b: dict, tol: float):
    assert a.keys() == b.keys()
    for k in a: assert (a[k] - b[k]).abs().max().item() <= tol, (k, (a[k] - b[k]).abs().max().item())


TRAIN = '''
    folder, out, kill_at, kill_in_checkpoint = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if kill_at >= 0:  # die by SIGKILL when the source hands out batch number `kill_at`
        class Dying(TensorSource):
            def batches(self, *a, **kw):
                for n, b in enumerate(super().batches(*a, **kw)):
                    if n == kill_at and self.training: os.kill(os.getpid(), 9)
                    yield b
        source = Dying(rows()); source.training = False
        original = train.SAETrainer._initialize
        def initialize(self): original(self); source.training = True   # the init pass reads batches too
        train.SAETrainer._initialize = initialize
    else: source = TensorSource(rows())
    if kill_in_checkpoint >= 0:  # die by SIGKILL halfway through writing the checkpoint of step `kill_in_checkpoint`
        write = train.atomic_write_text
        def dying_write(path, text):
            if str(path).endswith("state.json") and f"step-{kill_in_checkpoint:08d}" in str(path): os.kill(os.getpid(), 9)
            return write(path, text)
        train.atomic_write_text = dying_write
    resume = bool(int(sys.argv[5])) if len(sys.argv) > 5 else False
    result = train_sae(source, CODERS, config(checkpoint_every=5, checkpoint_folder=folder), resume_from=folder if resume else None)
    save_coders(result, out)
    json.dump(result.history, open(out + ".json", "w"))
'''


@pytest.mark.parametrize("kill_at,kill_in_checkpoint,resumes_from", [(23, -1, 20), (-1, 20, 15)])
def test_resume_after_sigkill(tmp_path, kill_at, kill_in_checkpoint, resumes_from):
    "A run killed by SIGKILL (between checkpoints, or while writing one) resumes to the same coders as an uninterrupted run."
    whole = run_python(tmp_path, TRAIN, str(tmp_path / "whole"), str(tmp_path / "whole.safetensors"), "-1", "-1")
    assert whole.returncode == 0, whole.stderr
    killed = run_python(tmp_path, TRAIN, str(tmp_path / "run"), str(tmp_path / "run.safetensors"), str(kill_at), str(kill_in_checkpoint))
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
    assert not (tmp_path / "run.safetensors").exists()
    latest = json.loads((tmp_path / "run" / "latest.json").read_text())
    assert latest["step"] == resumes_from
    resumed = run_python(tmp_path, TRAIN, str(tmp_path / "run"), str(tmp_path / "run.safetensors"), "-1", "-1", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert_same(load(tmp_path / "run.safetensors"), load(tmp_path / "whole.safetensors"), tol=1e-6)
    assert json.loads((tmp_path / "run.safetensors.json").read_text()) == json.loads((tmp_path / "whole.safetensors.json").read_text())
    assert not list((tmp_path / "run").glob(".*.tmp*"))  # no temporary leftovers once resumed and finished


DDP = '''
    import torch.distributed as dist
    out = sys.argv[1]
    if "RANK" in os.environ: dist.init_process_group("gloo")
    result = train_sae(TensorSource(rows()), CODERS, config(total_steps=12))
    if not dist.is_initialized() or dist.get_rank() == 0:
        save_coders(result, out)
        json.dump({"world": dist.get_world_size() if dist.is_initialized() else 1, "steps": result.steps}, open(out + ".json", "w"))
    if dist.is_initialized(): dist.destroy_process_group()
'''


def test_ddp_two_processes_match_one(tmp_path):
    "torchrun with 2 CPU processes (gloo), each on half of every global batch, matches one process on the full batch."
    single = run_python(tmp_path, DDP, str(tmp_path / "single.safetensors"))
    assert single.returncode == 0, single.stderr
    ddp = run_python(tmp_path, DDP, str(tmp_path / "ddp.safetensors"), torchrun=2)
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    a, b = load(tmp_path / "single.safetensors"), load(tmp_path / "ddp.safetensors")
    assert_same(a, b, tol=1e-5)
    assert json.loads((tmp_path / "ddp.safetensors.json").read_text()) == {"world": 2, "steps": 12}
