"torchvision imports in a fresh interpreter once prisma_nb has installed its fix, even without compiled ops."
import subprocess, sys, textwrap

def _run(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True)

def test_timm_and_open_clip_import_after_lens():
    res = _run("""
        import prisma_nb.lens
        import timm, open_clip, torchvision, torch
        m = timm.create_model("vit_tiny_patch16_224", pretrained=False, num_classes=3)
        print(m(torch.rand(1, 3, 224, 224)).shape, torchvision.extension._has_ops())
    """)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "torch.Size([1, 3])" in res.stdout

def test_fix_applies_only_when_needed():
    res = _run("""
        from prisma_nb.zoo.compat import _torchvision_ops_load, fix_torchvision
        loads = _torchvision_ops_load()
        print(loads, fix_torchvision())
    """)
    assert res.returncode == 0, res.stderr[-3000:]
    loads, applied = res.stdout.split()
    assert applied == str(loads == "False"), res.stdout

def test_import_helpers_name_the_package_to_install():
    res = _run("""
        from prisma_nb.zoo.compat import _import
        try: _import("no_such_library_xyz", "no-such-library")
        except ImportError as e: print(e)
    """)
    assert "pip install no-such-library" in res.stdout, res.stdout + res.stderr
