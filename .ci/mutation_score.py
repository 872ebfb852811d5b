"""The score of the last `mutmut run`: killed mutants per module, and every survivor.

Fails (exit 1) if fewer than FLOOR of the engine's (mlp) mutants were killed. Params
checking's score is reported beside it: most of its survivors are in the rules' factories,
which run once, at import, where mutmut cannot switch a mutant in (docs/tests.md says how
they are tested instead).
"""

import subprocess
import sys
from collections import Counter, defaultdict

FLOOR = 0.90
# The engine, and params checking: the rules, and the keys of params.yaml they check.
GROUPS = {
    "mlp": ("mlp.",),
    "params checking": ("numpy_mlp_mnist.rules", "numpy_mlp_mnist.params", "numpy_mlp_mnist.data_params"),
}


def module_of(mutant: str) -> str:
    """mlp.network.xǁMLPǁ__init____mutmut_11 -> mlp.network"""
    return mutant.split(".x")[0]


def main() -> None:
    listing = subprocess.run(
        ["mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    counts: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for line in listing.splitlines():
        mutant, _, status = line.strip().rpartition(": ")
        counts[module_of(mutant)][status] += 1
        if status != "killed":
            survivors.append(f"{mutant}: {status}")
    failed = False
    print("| module | mutants | killed | survived | score |")
    print("|---|---:|---:|---:|---:|")
    for group, prefixes in GROUPS.items():
        modules = [module for module in counts if module.startswith(prefixes)]
        total = sum(sum(counts[module].values()) for module in modules)
        killed = sum(counts[module]["killed"] for module in modules)
        score = killed / total
        failed |= group == "mlp" and score < FLOOR
        print(f"| {group} | {total} | {killed} | {total - killed} | {score:.1%} |")
    print("\nsurvivors:\n" + "\n".join(survivors))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
