"""The course: student notebooks equal a fresh export of the solution notebooks, and every exercise's check says
"correct" to the solution in its chapter and "not implemented yet" to the student's stub. (The realistic wrong answers
of each exercise are tested on the chapter's check page, `nbs/5N_course.chN.ipynb`.)"""
import json, re
from pathlib import Path

import pytest

from prisma_nb.course.checks import EXERCISES, check_exercise, load_chapters
from prisma_nb.course.export import notebook_text, student_notebook

NBS = Path(__file__).resolve().parent.parent / "nbs"
CHAPTERS = sorted((NBS / "course").glob("*.ipynb"))

def exercise_functions(path: Path) -> dict:
    "The functions a chapter's exercise cells define, run in a namespace like the chapter's own."
    ns: dict = {}
    exec("import torch\nfrom prisma_nb.lens import *", ns)
    names = {}
    for cell in json.loads(path.read_text())["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and ("### BEGIN SOLUTION" in src or "# YOUR CODE HERE" in src):
            exec(compile(src, str(path), "exec"), ns)
            names.update({m: ns[m] for m in re.findall(r"^def (\w+)\(", src, re.M)})
    return names

def test_student_notebooks_equal_a_fresh_export():
    assert CHAPTERS, "no chapters"
    for p in CHAPTERS:
        shipped = NBS / "course" / "student" / p.name
        assert shipped.exists(), f"{shipped.name} has no student notebook: run `prisma-nb course export`"
        nb = json.loads((NBS / "course" / p.name).read_text())
        assert shipped.read_text() == notebook_text(student_notebook(nb, f"course/student/{p.name}")), \
            f"course/student/{p.name} is stale: run `prisma-nb course export` and commit it"

@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_solutions_pass_and_stubs_are_not_implemented(chapter):
    load_chapters()
    solutions = exercise_functions(chapter)
    stubs = exercise_functions(NBS / "course" / "student" / chapter.name)
    assert solutions and set(solutions) == set(stubs)
    for name, fn in solutions.items():
        assert name in EXERCISES, f"{chapter.name} defines {name}, which no check is registered for"
        result = check_exercise(fn)
        assert result.status == "correct", result
        stub = check_exercise(stubs[name])
        assert stub.status == "not implemented" and stub.message.startswith("not implemented yet"), stub
        assert EXERCISES[name].hint in stub.message

def test_every_exercise_has_a_chapter():
    load_chapters()
    defined = set().union(*(exercise_functions(p) for p in CHAPTERS))
    assert set(EXERCISES) == defined, f"checks without a chapter exercise: {set(EXERCISES) - defined}"

def test_relative_links_resolve_in_solutions_and_student_notebooks():
    "A link from a student notebook (one folder down) reaches the same page as the solution's link does, or the student sibling chapter."
    broken = []
    for p in sorted((NBS / "course").rglob("*.ipynb")):
        for cell in json.loads(p.read_text())["cells"]:
            if cell["cell_type"] != "markdown": continue
            for target in re.findall(r"\]\(([^)\s]+)\)", "".join(cell["source"])):
                target = target.partition("#")[0]
                if target and "://" not in target and not target.startswith(("/", "mailto:")) and not (p.parent / target).exists():
                    broken.append(f"{p.relative_to(NBS)} -> {target}")
    assert not broken, broken
