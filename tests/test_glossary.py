"""The glossary defines every term the learner's pages use: each term of TERMS that
docs/learning.md, docs/network.md, docs/labs.md or a lab's text uses has an entry (a
heading) in docs/glossary.md. A term new to the pages goes into TERMS and the glossary."""

import re

from support.pages import REPO

LEARNERS_PAGES = ["docs/learning.md", "docs/network.md", "docs/labs.md"]
# A term as the pages write it, and the glossary's heading that defines it.
TERMS = {
    "softmax": "Softmax",
    "epoch": "Epoch",
    "mini-batch": "Mini-batch",
    "validation set": "Validation set",
    "weight decay": "Weight decay",
    "xavier": "He and Xavier initialisation",
    "he's": "He and Xavier initialisation",
    "leaky relu": "Leaky ReLU",
    "error": "Error (δ)",
    "jacobian": "Jacobian",
    "fan_in": "Fan-in",
    "logits": "Logits",
    "one-hot": "One-hot",
    "mae floor": "MAE floor",
    "seed": "Seed",
}


def learners_text() -> str:
    labs = [path.read_text() for path in sorted((REPO / "labs").glob("[0-9][0-9]_*.py"))]
    return "\n".join([*((REPO / page).read_text() for page in LEARNERS_PAGES), *labs]).lower()


def missing_from(glossary: str, text: str) -> list[str]:
    headings = set(re.findall(r"^## (.+)$", glossary, flags=re.M))
    return [term for term, heading in TERMS.items() if term in text and heading not in headings]


def test_every_term_the_learners_pages_use_is_in_the_glossary() -> None:
    assert missing_from((REPO / "docs" / "glossary.md").read_text(), learners_text()) == []


def test_a_term_the_glossary_lacks_is_found() -> None:
    glossary = (REPO / "docs" / "glossary.md").read_text().replace("## Jacobian\n", "")
    assert missing_from(glossary, learners_text()) == ["jacobian"]


# Forms the pages once gave a second meaning, retired for the one in docs/learning.md's
# table of symbols: the cost is C (C_x for one image), not L or l, which number layers;
# δ is a layer's error only; the floor is written floor, never f, the activation.
RETIRED = ["δ_jm", "δ_ym", "∂l/", "dL/dz", "dL/dp", "= ∂l", "(f, 0.24", "max(p_y, f)", "loss l("]


def test_one_notation_across_the_pages_and_the_engine() -> None:
    sources = [*(REPO / page for page in LEARNERS_PAGES), REPO / "docs" / "glossary.md",
               *sorted((REPO / "mlp").glob("*.py")), REPO / "assignment" / "backprop.py"]  # fmt: skip
    found = [
        f"{path.relative_to(REPO)}: {form}"
        for path in sources
        for form in RETIRED
        if form in path.read_text()
    ]
    assert not found
    assert "| symbol | means, on every page |" in (REPO / "docs" / "learning.md").read_text()
