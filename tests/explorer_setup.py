"""The feature explorer both explorer tests build from the shipped toy coder: run in-process by test_explorer_views and
in a Jupyter kernel by test_explorer_lab, so the two see the same widget."""

SETUP = """import torch
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.sae.exemplars import stream_exemplars
from prisma_nb.sae.pretrained import load_sae
from prisma_nb.analysis.features import collect_activations, factor_labels, label_entropy, low_density_cluster
from prisma_nb.viz.explorer import feature_explorer
torch.set_num_threads(1)
model = load_hooked_model("toy/shapes-2l")
coder = load_sae("toy/shapes-2l/blocks.1.hook_resid_post")
data = ShapesWorld("test", n=120)
found = stream_exemplars(coder, data, model, k=6)
fa = collect_activations(model, coder, data, n=120)
entropy = {n: label_entropy(fa.image_max(), y) for n, y in factor_labels(data).items()}
live = (found.density > 0).nonzero().flatten()
features = live[found.density[live].argsort(descending=True)][:8].tolist()
explorer = feature_explorer(model, coder, data, found, entropy, cluster=low_density_cluster(found.density, found.mean_activation),
                            features=features)"""

def build() -> dict:
    "The names SETUP defines, run in this process; the thread count is restored afterwards."
    import torch
    env, threads = {}, torch.get_num_threads()
    try: exec(SETUP, env)
    finally: torch.set_num_threads(threads)
    return env
