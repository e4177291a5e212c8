#!/usr/bin/env python3
"""Paired comparison of two `metalora eval --samples-dir` folders (lm-eval --log_samples files).

Usage: compare_samples.py REFERENCE_DIR CANDIDATE_DIR [--json OUT]

For every subset present in both, pairs the items by doc_id and reports: the share of items whose
pick (argmax of the choices' log-likelihoods) is equal, the accuracy of each side, and their paired
difference with its standard error (the mean and SE of per-item acc differences). Exit code 1 when
the folders hold different items (a comparison of different questions says nothing).
"""
import glob, json, math, os, re, sys

def load(folder):
    subsets = {}
    for path in sorted(glob.glob(os.path.join(folder, "samples_*.jsonl"))):
        task = re.sub(r"_\d{4}-\d\d-\d\dT[\d.-]+\.jsonl$", "", os.path.basename(path))[len("samples_"):]
        rows = {}
        for line in open(path):
            d = json.loads(line)
            scores = [float(r[0][0]) for r in d["resps"]]
            rows[d["doc_id"]] = (max(range(len(scores)), key=scores.__getitem__), float(d["acc"]))
        subsets[task] = rows
    return subsets

def main():
    args = sys.argv[1:]
    out = None
    if "--json" in args:
        i = args.index("--json"); out = args[i + 1]; del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    ref, cand = load(args[0]), load(args[1])
    if set(ref) != set(cand) or any(set(ref[t]) != set(cand[t]) for t in ref):
        print(f"the folders hold different items: {sorted(set(ref) ^ set(cand))[:5]}", file=sys.stderr)
        sys.exit(1)
    per, diffs, equal, n = {}, [], 0, 0
    for task in sorted(ref):
        r, c = ref[task], cand[task]
        eq = sum(r[i][0] == c[i][0] for i in r)
        d = [c[i][1] - r[i][1] for i in r]
        per[task] = {"n": len(r), "picks_equal": eq / len(r), "acc_reference": sum(r[i][1] for i in r) / len(r),
                     "acc_candidate": sum(c[i][1] for i in r) / len(r)}
        equal += eq; n += len(r); diffs += d
    mean = sum(diffs) / n
    se = math.sqrt(sum((x - mean) ** 2 for x in diffs) / (n - 1) / n)
    summary = {"reference": args[0], "candidate": args[1], "n": n, "subsets": len(per),
               "picks_equal": equal / n, "acc_reference": sum(p["acc_reference"] * p["n"] for p in per.values()) / n,
               "acc_candidate": sum(p["acc_candidate"] * p["n"] for p in per.values()) / n,
               "acc_difference": mean, "acc_difference_se": se,
               "discordant_items": sum(1 for x in diffs if x != 0),
               "largest_subset_acc_difference": max(abs(p["acc_candidate"] - p["acc_reference"]) for p in per.values()),
               "per_subset": per}
    print(f"{n} items in {len(per)} subsets: picks equal on {100 * summary['picks_equal']:.2f}%; "
          f"acc {100 * summary['acc_reference']:.2f}% -> {100 * summary['acc_candidate']:.2f}% "
          f"(paired difference {100 * mean:+.2f} ± {100 * se:.2f} points SE, {summary['discordant_items']} discordant items; "
          f"largest per-subset difference {100 * summary['largest_subset_acc_difference']:.2f} points)")
    if out:
        with open(out, "w") as f:
            json.dump(summary, f, indent=1, sort_keys=True)

if __name__ == "__main__":
    main()
