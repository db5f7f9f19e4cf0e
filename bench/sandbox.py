"""Per-variant cost of the sandbox runner for a realistic solution (a 2-layer ReLU network's gradient).

Run: python bench/sandbox.py [--variants 300] [--batch 1000]
Last line: variant_us=<n> batch_variant_us=<n> cold_start_ms=<n>
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quizserver.sandbox import Runner  # noqa: E402

PARAMS = [
    {"name": "x", "kind": "normal", "args": [0, 1], "shape": [3], "round": 1},
    {"name": "W1", "kind": "randint", "args": [-2, 2], "shape": [2, 3], "round": None},
    {"name": "w2", "kind": "randint", "args": [-2, 2], "shape": [2], "round": None},
    {"name": "y", "kind": "randint", "args": [-1, 1], "shape": None, "round": None},
]
REQUIRE = "np.all(np.abs(W1 @ x) > 0.05)"
SOLUTION = "z = W1 @ x\nyhat = w2 @ np.maximum(z, 0)\nanswer = np.outer((yhat - y) * w2 * (z > 0), x)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=300, help="warm generate() calls to time one by one")
    parser.add_argument("--batch", type=int, default=1000, help="seeds in the generate_many() call")
    args = parser.parse_args()

    started = time.perf_counter()
    runner = Runner()
    runner.generate(PARAMS, REQUIRE, SOLUTION, seed=0)
    cold_start_ms = (time.perf_counter() - started) * 1e3

    timings = []
    for seed in range(1, args.variants + 1):
        started = time.perf_counter()
        runner.generate(PARAMS, REQUIRE, SOLUTION, seed=seed)
        timings.append(time.perf_counter() - started)
    variant_us = statistics.median(timings) * 1e6

    seeds = list(range(args.batch))
    started = time.perf_counter()
    results = runner.generate_many(PARAMS, REQUIRE, SOLUTION, seeds)
    batch_variant_us = (time.perf_counter() - started) / len(seeds) * 1e6
    failures = sum(1 for result in results if not isinstance(result, dict))
    tries = statistics.mean(result["tries"] for result in results if isinstance(result, dict))
    runner.close()

    print(f"cold start (new worker + first variant): {cold_start_ms:.0f} ms")
    print(f"warm generate(), one at a time: median {variant_us:.0f} us/variant over {args.variants}")
    print(f"generate_many() with {len(seeds)} seeds: {batch_variant_us:.0f} us/variant "
          f"(mean {tries:.2f} draws per variant, {failures} failures)")
    print(f"variant_us={variant_us:.0f} batch_variant_us={batch_variant_us:.0f} cold_start_ms={cold_start_ms:.0f}")


if __name__ == "__main__":
    main()
