#!/usr/bin/env python3
"""Paired comparison of two `metalora eval --samples-dir` folders (lm-eval --log_samples files).

Usage: compare_samples.py REFERENCE_DIR CANDIDATE_DIR [--json OUT]

For every subset present in both, pairs the items by doc_id and reports: the share of items whose
pick (argmax of the choices' log-likelihoods) is equal, the accuracy of each side, and their paired
difference with its standard error (the mean and SE of per-item acc differences). Exit code 1 when
the folders hold different items (a comparison of different questions says nothing).

Why picks differ: the reference's margin (its best choice's log-likelihood minus the runner-up's)
against the candidate's perturbation of that margin. `margin_noise_sd` is the standard deviation of
the change; `expected_discordant` is what Gaussian noise of that size alone would flip,
Σ Φ(-margin / sd) over items, to compare with the observed count.
"""
import glob, json, math, os, re, sys

def sample_files(folder):
    """(task, path) for every samples_<task>_<date>.jsonl of a --samples-dir folder, by name."""
    for path in sorted(glob.glob(os.path.join(folder, "samples_*.jsonl"))):
        yield re.sub(r"_\d{4}-\d\d-\d\dT[\d.-]+\.jsonl$", "", os.path.basename(path))[len("samples_"):], path

def choice_scores(sample):
    """The choices' log-likelihoods of one logged item."""
    return [float(r[0][0]) for r in sample["resps"]]

def margin_change(reference, other):
    """How much `other` moves the gap between the reference's best and second-best choices."""
    order = sorted(range(len(reference)), key=lambda j: -reference[j])
    return (other[order[0]] - other[order[1]]) - (reference[order[0]] - reference[order[1]])

def mean_and_se(xs):
    mean = sum(xs) / len(xs)
    return mean, math.sqrt(sum((x - mean) ** 2 for x in xs) / max(len(xs) - 1, 1) / len(xs))

def load(folder):
    subsets = {}
    for task, path in sample_files(folder):
        rows = {}
        for line in open(path):
            d = json.loads(line)
            scores = choice_scores(d)
            rows[d["doc_id"]] = (max(range(len(scores)), key=scores.__getitem__), float(d["acc"]), scores)
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
    for folder, loaded in ((args[0], ref), (args[1], cand)):
        if not loaded:
            print(f"{folder}: no samples_*.jsonl files (a metalora eval --samples-dir folder)", file=sys.stderr)
            sys.exit(2)
    if set(ref) != set(cand):
        print(f"the folders hold different subsets: {sorted(set(ref) ^ set(cand))[:5]}", file=sys.stderr)
        sys.exit(1)
    for task in sorted(ref):
        if set(ref[task]) != set(cand[task]):
            print(f"{task}: the folders hold different items ({len(ref[task])} against {len(cand[task])} doc_ids)", file=sys.stderr)
            sys.exit(1)
    per, diffs, equal, n = {}, [], 0, 0
    for task in sorted(ref):
        r, c = ref[task], cand[task]
        eq = sum(r[i][0] == c[i][0] for i in r)
        d = [c[i][1] - r[i][1] for i in r]
        dm, dse = mean_and_se(d)
        per[task] = {"n": len(r), "picks_equal": eq / len(r), "acc_reference": sum(r[i][1] for i in r) / len(r),
                     "acc_candidate": sum(c[i][1] for i in r) / len(r), "acc_difference": dm, "acc_difference_se": dse}
        equal += eq; n += len(r); diffs += d
    margins, changes, discordant_margins = [], [], []
    for task in ref:
        for i, (pick, _, scores) in ref[task].items():
            top = sorted(scores, reverse=True)
            margin = top[0] - top[1]
            margins.append(margin)
            changes.append(margin_change(scores, cand[task][i][2]))
            if cand[task][i][0] != pick:
                discordant_margins.append(margin)
    noise = math.sqrt(sum(x * x for x in changes) / len(changes))
    expected = sum(0.5 * math.erfc(m / noise / math.sqrt(2)) for m in margins) if noise > 0 else 0.0
    mean, se = mean_and_se(diffs)
    summary = {"reference": args[0], "candidate": args[1], "n": n, "subsets": len(per),
               "picks_equal": equal / n, "acc_reference": sum(p["acc_reference"] * p["n"] for p in per.values()) / n,
               "acc_candidate": sum(p["acc_candidate"] * p["n"] for p in per.values()) / n,
               "acc_difference": mean, "acc_difference_se": se,
               "items_scored_differently": sum(1 for x in diffs if x != 0),
               "subsets_differing_by_more_than_1_point": sum(abs(p["acc_difference"]) > 0.01 for p in per.values()),
               "largest_subset_acc_difference": max(abs(p["acc_candidate"] - p["acc_reference"]) for p in per.values()),
               "margin_noise_sd": noise, "expected_discordant": expected,
               "reference_margin_median": sorted(margins)[len(margins) // 2],
               "share_reference_margin_below_noise": sum(m < noise for m in margins) / n,
               "largest_reference_margin_among_discordant": max(discordant_margins, default=0.0),
               "per_subset": per}
    print(f"{n} items in {len(per)} subsets: picks equal on {100 * summary['picks_equal']:.2f}%; "
          f"acc {100 * summary['acc_reference']:.2f}% -> {100 * summary['acc_candidate']:.2f}% "
          f"(paired difference {100 * mean:+.2f} ± {100 * se:.2f} points SE, {summary['items_scored_differently']} items scored differently; "
          f"largest per-subset difference {100 * summary['largest_subset_acc_difference']:.2f} points, "
          f"{summary['subsets_differing_by_more_than_1_point']} subsets differ by more than 1 point)")
    print(f"margins: the candidate moves the reference's top-2 margin by {noise:.4f} nats (RMS); "
          f"{100 * summary['share_reference_margin_below_noise']:.1f}% of items have a reference margin below that "
          f"(median margin {summary['reference_margin_median']:.3f}); noise of that size alone would flip "
          f"{expected:.0f} picks, {len(discordant_margins)} flipped; the largest reference margin among them is "
          f"{summary['largest_reference_margin_among_discordant']:.4f}")
    if out:
        with open(out, "w") as f:
            json.dump(summary, f, indent=1, sort_keys=True)

if __name__ == "__main__":
    main()
