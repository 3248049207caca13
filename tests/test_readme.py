"The README's 60-second example runs as written."
import re
from pathlib import Path

def test_readme_example_runs():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    code = re.search(r"## 60 seconds\n\n```python\n(.*?)```", readme, re.S).group(1)
    ns = {}
    exec(compile(code, "README.md", "exec"), ns)
    assert tuple(ns["cache"]["pattern", 0].shape) == (8, 4, 65, 65)
    assert tuple(ns["patched"].shape) == (8, 8)
    assert not ns["patched"].equal(ns["logits"]), "ablating a head should change the logits"
    assert ns["labels"][0] == 4 and ns["labels"][2] == 0, "the comment names the classes of images 0 and 2"
    assert tuple(ns["grid"].values.shape) == (2, 65)
    row = ns["table"].rows[0]
    assert row["l0"] == 8 and row["explained_variance"] > 80 and row["ce_recovered"] > 80, row
