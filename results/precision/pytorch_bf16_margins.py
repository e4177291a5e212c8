#!/usr/bin/env python3
"""An independent look at bf16's effect on multiple-choice margins: PyTorch (transformers, float32
and bf16 autocast) on the same prompts as two `metalora eval --samples-dir` folders (f32, bf16).

Usage: pytorch_bf16_margins.py GGUF F32_DIR BF16_DIR [--per-subset N] [--subsets A,B] [--precisions f32,bf16]
                               [--threads T] [--json OUT]

Reads the first N items of every subset (or of the named ones) from F32_DIR (prompt and
continuations as lm-eval logs them), scores each continuation with transformers in float32 and,
unless --precisions f32, under torch.autocast(bfloat16). Reports how far our float32
log-likelihoods are from PyTorch's (an implementation check on the same weights), each subset's
accuracy in every implementation (lm-eval's loglikelihood rule: the best-scoring choice), and with
both precisions the RMS change of the float32 top-2 margin under bf16 (the noise that flips
near-tied picks).
Needs torch, transformers and gguf (pip install gguf).
"""
import argparse, json, math, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_samples import choice_scores, margin_change, sample_files  # noqa: E402

def samples(folder, per_subset, subsets=None):
    out = {}
    for task, path in sample_files(folder):
        if subsets and task.split("_", 1)[-1] not in subsets and task not in subsets:
            continue
        with open(path) as f:
            for n, line in enumerate(f):
                if n >= per_subset:
                    break
                d = json.loads(line)
                args = [d["arguments"][f"gen_args_{i}"] for i in range(len(d["arguments"]))]
                out[(task, d["doc_id"])] = ([a["arg_0"] for a in args], [a["arg_1"] for a in args], choice_scores(d), int(d["target"]))
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf"); ap.add_argument("f32_dir"); ap.add_argument("bf16_dir")
    ap.add_argument("--per-subset", type=int, default=2); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--subsets", help="comma-separated subsets (e.g. us_foreign_policy); default all")
    ap.add_argument("--precisions", default="f32,bf16", help="f32,bf16 (default) or f32 (no autocast pass)")
    ap.add_argument("--json")
    a = ap.parse_args()
    precisions = a.precisions.split(",")
    if precisions not in (["f32", "bf16"], ["f32"]):
        sys.exit(f"--precisions {a.precisions}: expected f32,bf16 or f32")
    subsets = set(a.subsets.split(",")) if a.subsets else None
    ours32, ours16 = samples(a.f32_dir, a.per_subset, subsets), samples(a.bf16_dir, a.per_subset, subsets)
    keys = sorted(set(ours32) & set(ours16))
    if not keys:
        sys.exit(f"{a.f32_dir} and {a.bf16_dir} share no logged items"
                 + (f" of {a.subsets}" if a.subsets else "") + " (metalora eval --samples-dir folders of one benchmark)")
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM
    torch.set_num_threads(a.threads)
    d, f = os.path.split(os.path.abspath(a.gguf))
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = LlamaForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    rows, start = [], time.time()
    for n, key in enumerate(keys):
        contexts, continuations, ll32, target = ours32[key]
        scores = {}
        encoded = []
        for context, continuation in zip(contexts, continuations):
            # lm-eval's split: encode the whole, the continuation is what follows the context's tokens.
            whole = tok(context + continuation, add_special_tokens=False)["input_ids"]
            ctx = tok(context, add_special_tokens=False)["input_ids"]
            encoded.append((whole, len(ctx)))
        # One-token continuations after one shared context (MMLU's letters): one forward serves all.
        shared = all(w[:n] == encoded[0][0][:n] and len(w) == n + 1 and n == encoded[0][1] for w, n in encoded)
        for precision in precisions:
            def logprobs(ids, first, last):
                with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                    logits = model(torch.tensor([ids])).logits.float()
                return torch.log_softmax(logits[0, first:last], dim=-1)
            if shared:
                whole, n = encoded[0]
                logp = logprobs(whole[:n], n - 1, n)
                lls = [float(logp[0, w[n]]) for w, _ in encoded]
            else:
                lls = []
                for whole, n in encoded:
                    logp = logprobs(whole, n - 1, len(whole) - 1)
                    lls.append(float(sum(logp[i, t] for i, t in enumerate(whole[n:]))))
            scores[precision] = lls
        rows.append({"item": f"{key[0]}/{key[1]}", "subset": key[0], "target": target, "ours_f32": ll32, "ours_bf16": ours16[key][2],
                     "torch_f32": scores["f32"], "torch_bf16": scores.get("bf16")})
        if sys.stderr.isatty():
            print(f"\r{n + 1}/{len(keys)} items, {time.time() - start:.0f} s", end="", file=sys.stderr)
    rms = lambda xs: math.sqrt(sum(x * x for x in xs) / len(xs))
    picks = lambda s: max(range(len(s)), key=s.__getitem__)
    equal = lambda a_, b_: sum(picks(r[a_]) == picks(r[b_]) for r in rows) / len(rows)
    implementation = max(abs(x - y) for r in rows for x, y in zip(r["ours_f32"], r["torch_f32"]))
    columns = ["ours_f32", "ours_bf16", "torch_f32"] + (["torch_bf16"] if "bf16" in precisions else [])
    per_subset = {}
    for r in rows:
        entry = per_subset.setdefault(r["subset"], {"n": 0, **{c: 0 for c in columns}})
        entry["n"] += 1
        for c in columns:
            entry[c] += picks(r[c]) == r["target"]
    for entry in per_subset.values():
        for c in columns:
            entry[c] = 100 * entry[c] / entry["n"]
    summary = {"items": len(rows), "per_subset": a.per_subset, "subsets": sorted(subsets) if subsets else "all",
               "torch": torch.__version__, "ours_f32_vs_torch_f32_max_abs_loglik": implementation,
               "ours_f32_vs_torch_f32_picks_equal": equal("ours_f32", "torch_f32"),
               "ours_bf16_vs_ours_f32_picks_equal": equal("ours_f32", "ours_bf16"),
               "ours_bf16_vs_torch_f32_picks_equal": equal("torch_f32", "ours_bf16"),
               "accuracy_per_subset": per_subset}
    line = (f"{len(rows)} items: our f32 log-likelihoods are within {implementation:.2e} of PyTorch's; picks equal: "
            f"ours f32/torch f32 {100 * summary['ours_f32_vs_torch_f32_picks_equal']:.1f}%, "
            f"ours bf16/ours f32 {100 * summary['ours_bf16_vs_ours_f32_picks_equal']:.1f}%, "
            f"ours bf16/torch f32 {100 * summary['ours_bf16_vs_torch_f32_picks_equal']:.1f}%")
    if "bf16" in precisions:
        ours = rms([margin_change(r["ours_f32"], r["ours_bf16"]) for r in rows])
        torch_noise = rms([margin_change(r["torch_f32"], r["torch_bf16"]) for r in rows])
        summary.update({"ours_bf16_margin_change_rms": ours, "torch_bf16_margin_change_rms": torch_noise,
                        "torch_bf16_vs_torch_f32_picks_equal": equal("torch_f32", "torch_bf16")})
        line += (f", torch bf16/torch f32 {100 * summary['torch_bf16_vs_torch_f32_picks_equal']:.1f}%; bf16 moves the f32 "
                 f"top-2 margin by {ours:.4f} nats RMS in metalora, {torch_noise:.4f} in PyTorch {torch.__version__} autocast")
    summary.update({"seconds": time.time() - start, "rows": rows})
    print(line)
    for subset, entry in sorted(per_subset.items()):
        print(f"  {subset}: n={entry['n']}, accuracy " + ", ".join(f"{c} {entry[c]:.1f}%" for c in columns))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)

if __name__ == "__main__":
    main()
