"A coder is saved as one folder swapped in whole: a failure between writing the weights and the config leaves the old coder."
import pytest
import torch
from prisma_nb.sae import coders
from prisma_nb.sae.coders import CoderConfig, SparseCoder, load_coder

def _coder(hook: str, seed: int) -> SparseCoder:
    return SparseCoder(CoderConfig(d_in=8, d_sae=16, hook=hook), seed=seed).eval()

def test_a_failure_between_the_two_writes_leaves_the_old_coder(tmp_path, monkeypatch):
    old, new = _coder("blocks.0.hook_resid_post", 0), _coder("blocks.1.hook_resid_post", 1)
    old.save(tmp_path / "coder")
    def fail(self, path): raise OSError("disk full")          # the weights are written, then the config fails
    monkeypatch.setattr(CoderConfig, "save_json", fail)
    with pytest.raises(OSError, match="disk full"): new.save(tmp_path / "coder")
    monkeypatch.undo()
    loaded = load_coder(tmp_path / "coder")
    assert loaded.cfg.hook == "blocks.0.hook_resid_post"
    assert torch.equal(loaded.W_enc, old.W_enc)              # the old weights, not the new ones under the old hook
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coder"]   # no temporary folder left beside it

def test_a_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(CoderConfig, "save_json", lambda self, path: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError): _coder("h", 0).save(tmp_path / "a" / "b" / "coder")
    assert list(tmp_path.iterdir()) == []

def test_saving_over_a_folder_of_other_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="holds other files"): _coder("h", 0).save(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"

def test_a_saved_coder_replaces_the_old_one_whole(tmp_path):
    _coder("blocks.0.hook_resid_post", 0).save(tmp_path / "coder")
    new = _coder("blocks.1.hook_resid_post", 1)
    new.save(tmp_path / "coder")
    loaded = load_coder(tmp_path / "coder")
    assert loaded.cfg.hook == "blocks.1.hook_resid_post" and torch.equal(loaded.W_enc, new.W_enc)
