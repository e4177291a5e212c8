#!/usr/bin/env python3
"""An independent look at bf16's effect on multiple-choice margins: PyTorch (transformers, float32
and bf16 autocast) on the same prompts as two `metalora eval --samples-dir` folders (f32, bf16).

Usage: pytorch_bf16_margins.py GGUF F32_DIR BF16_DIR [--per-subset N] [--threads T] [--json OUT]

Reads the first N items of every subset from F32_DIR (prompt and continuations as lm-eval logs
them), scores each continuation with transformers in float32 and under
torch.autocast(bfloat16), and reports for both implementations the RMS change of the float32
top-2 margin under bf16 (the noise that flips near-tied picks), and how far our float32
log-likelihoods are from PyTorch's (an implementation check on the same weights).
Needs torch, transformers and gguf (pip install gguf).
"""
import argparse, json, math, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_samples import choice_scores, margin_change, sample_files  # noqa: E402

def samples(folder, per_subset):
    out = {}
    for task, path in sample_files(folder):
        with open(path) as f:
            for n, line in enumerate(f):
                if n >= per_subset:
                    break
                d = json.loads(line)
                args = [d["arguments"][f"gen_args_{i}"] for i in range(len(d["arguments"]))]
                out[(task, d["doc_id"])] = ([a["arg_0"] for a in args], [a["arg_1"] for a in args], choice_scores(d))
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf"); ap.add_argument("f32_dir"); ap.add_argument("bf16_dir")
    ap.add_argument("--per-subset", type=int, default=2); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    a = ap.parse_args()
    ours32, ours16 = samples(a.f32_dir, a.per_subset), samples(a.bf16_dir, a.per_subset)
    keys = sorted(set(ours32) & set(ours16))
    if not keys:
        sys.exit(f"{a.f32_dir} and {a.bf16_dir} share no logged items (metalora eval --samples-dir folders of one benchmark)")
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM
    torch.set_num_threads(a.threads)
    d, f = os.path.split(os.path.abspath(a.gguf))
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = LlamaForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    rows, start = [], time.time()
    for n, key in enumerate(keys):
        contexts, continuations, ll32 = ours32[key]
        scores = {}
        encoded = []
        for context, continuation in zip(contexts, continuations):
            # lm-eval's split: encode the whole, the continuation is what follows the context's tokens.
            whole = tok(context + continuation, add_special_tokens=False)["input_ids"]
            ctx = tok(context, add_special_tokens=False)["input_ids"]
            encoded.append((whole, len(ctx)))
        # One-token continuations after one shared context (MMLU's letters): one forward serves all.
        shared = all(w[:n] == encoded[0][0][:n] and len(w) == n + 1 and n == encoded[0][1] for w, n in encoded)
        for precision in ("f32", "bf16"):
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
        rows.append({"item": f"{key[0]}/{key[1]}", "ours_f32": ll32, "ours_bf16": ours16[key][2],
                     "torch_f32": scores["f32"], "torch_bf16": scores["bf16"]})
        if sys.stderr.isatty():
            print(f"\r{n + 1}/{len(keys)} items, {time.time() - start:.0f} s", end="", file=sys.stderr)
    rms = lambda xs: math.sqrt(sum(x * x for x in xs) / len(xs))
    ours = rms([margin_change(r["ours_f32"], r["ours_bf16"]) for r in rows])
    torch_noise = rms([margin_change(r["torch_f32"], r["torch_bf16"]) for r in rows])
    implementation = max(abs(x - y) for r in rows for x, y in zip(r["ours_f32"], r["torch_f32"]))
    picks = lambda s: max(range(len(s)), key=s.__getitem__)
    summary = {"items": len(rows), "per_subset": a.per_subset, "torch": torch.__version__,
               "ours_bf16_margin_change_rms": ours, "torch_bf16_margin_change_rms": torch_noise,
               "ours_f32_vs_torch_f32_max_abs_loglik": implementation,
               "ours_f32_vs_torch_f32_picks_equal": sum(picks(r["ours_f32"]) == picks(r["torch_f32"]) for r in rows) / len(rows),
               "ours_bf16_vs_ours_f32_picks_equal": sum(picks(r["ours_f32"]) == picks(r["ours_bf16"]) for r in rows) / len(rows),
               "torch_bf16_vs_torch_f32_picks_equal": sum(picks(r["torch_f32"]) == picks(r["torch_bf16"]) for r in rows) / len(rows),
               "seconds": time.time() - start, "rows": rows}
    print(f"{len(rows)} items: bf16 moves the f32 top-2 margin by {ours:.4f} nats RMS in metalora, "
          f"{torch_noise:.4f} in PyTorch {torch.__version__} autocast; our f32 log-likelihoods are within "
          f"{implementation:.2e} of PyTorch's; picks equal: ours bf16/f32 {100 * summary['ours_bf16_vs_ours_f32_picks_equal']:.1f}%, "
          f"torch bf16/f32 {100 * summary['torch_bf16_vs_torch_f32_picks_equal']:.1f}%")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)

if __name__ == "__main__":
    main()
