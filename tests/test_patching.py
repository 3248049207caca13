"Batched activation patching equals one forward per site on the benchmark's models; edge patching brackets clean and corrupted runs."
import pytest, torch
from prisma_nb.analysis.patching import activation_patch, logit_diff
from prisma_nb.analysis.circuits import edge_graph, edge_forward, find_circuit
from prisma_nb.config import ViTConfig
from prisma_nb.vit import HookedViT
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld

def shape_pair(index=3):
    return tuple(ShapesWorld("test", n=8, shapes=(s,)).images([index])[0] for s in ("circle", "square"))

def test_toy_4l_residual_grid_batched_equals_loop():
    model, (clean, corrupt) = load_hooked_model("toy/shapes-4l"), shape_pair()
    fast = activation_patch(model, clean, corrupt, logit_diff(0, 1))
    slow = activation_patch(model, clean, corrupt, logit_diff(0, 1), method="loop")
    assert fast.shape == (4, 65)
    assert (fast.values - slow.values).abs().max() <= 1e-5

def test_toy_4l_edges_all_and_none():
    model, (clean, corrupt) = load_hooked_model("toy/shapes-4l-attn"), shape_pair()
    graph = edge_graph(model)
    with torch.no_grad():
        _, corrupt_outputs, _ = edge_forward(model, graph, corrupt)
        assert (edge_forward(model, graph, clean)[0] - model(clean)).abs().max() <= 1e-5
        assert (edge_forward(model, graph, clean, graph.allowed.float(), corrupt_outputs)[0] - model(corrupt)).abs().max() <= 1e-5

def test_circuit_value_is_its_edge_run():
    model, (clean, corrupt) = load_hooked_model("toy/shapes-1l"), shape_pair()
    circuit = find_circuit(model, clean, corrupt, logit_diff(0, 1), threshold=0.05)
    graph = circuit.graph
    with torch.no_grad():
        _, corrupt_outputs, _ = edge_forward(model, graph, corrupt)
        out = edge_forward(model, graph, clean, (graph.allowed & ~circuit.kept).float(), corrupt_outputs)[0]
    assert abs(logit_diff(0, 1)(out).item() - circuit.circuit_value) <= 1e-5
    assert 0 < len(circuit.edges) < len(graph.edges)

@pytest.mark.slow
def test_vit_b32_residual_grid_batched_equals_loop():
    torch.manual_seed(0)
    model = HookedViT(ViTConfig(d_model=768, n_layers=12, n_heads=12, image_size=224, patch_size=32, n_classes=1000)).eval()
    clean, corrupt = torch.randn(1, 3, 224, 224), torch.randn(1, 3, 224, 224)
    kw = dict(layers=[0, 5, 11], positions=list(range(0, 50, 7)))
    fast = activation_patch(model, clean, corrupt, logit_diff(0, 1), **kw)
    slow = activation_patch(model, clean, corrupt, logit_diff(0, 1), method="loop", **kw)
    assert (fast.values - slow.values).abs().max() <= 1e-5
