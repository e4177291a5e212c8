"""Makes the PEFT reference adapters of PEFTStylesTests with PEFT itself.

Run from the package root (needs torch, transformers, peft, gguf; the tests do not):
    python3 Tests/AdaptersTests/Fixtures/peft/make_peft_adapters.py

For each target_modules style it builds a LoRA with `get_peft_model` on SmolLM2-135M-Instruct
(models/SmolLM2-135M-Instruct.Q4_1.gguf, dequantized by transformers' GGUF loader), gives every
lora_A and lora_B random non-zero values, saves it with `save_pretrained` (tensors stored as F16
to keep the folders small), reloads the folder with `PeftModel.from_pretrained` onto a fresh copy
of the base model and writes the summed log-likelihood of each (context, continuation) pair to
references.json, with the base model's for comparison. Dropout is inert because the model is in
eval mode, as in any scoring.
"""
import copy, json, os, sys

import torch
import peft
import transformers
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
GGUF = os.path.join("models", "SmolLM2-135M-Instruct.Q4_1.gguf")
# A real model id, so a PEFT user can load the folder onto the unquantized model too.
BASE_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
PAIRS = [("The capital of France is", " Paris, a city on the Seine."),
         ("Question: What is 2+2?\nAnswer:", " 4")]

STYLES = {
    "all-linear": dict(r=1, lora_alpha=2, target_modules="all-linear"),
    "short-names": dict(r=1, lora_alpha=4, target_modules=["q_proj", "v_proj"]),
    "full-paths": dict(r=2, lora_alpha=8, target_modules=[
        "model.layers.3.self_attn.q_proj", "model.layers.7.mlp.down_proj", "model.layers.12.self_attn.v_proj"]),
    "regex": dict(r=1, lora_alpha=4, target_modules=r".*\.(q_proj|v_proj)$"),
    "rslora-dropout": dict(r=4, lora_alpha=8, use_rslora=True, lora_dropout=0.1,
                           target_modules=["k_proj", "o_proj"], layers_to_transform=[0, 5, 29], layers_pattern="layers"),
    "patterns": dict(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj", "down_proj"], layers_to_transform=[1, 2],
                     rank_pattern={"down_proj": 3, "model.layers.2.self_attn.q_proj": 1}, alpha_pattern={"v_proj": 12},
                     exclude_modules=["model.layers.1.mlp.down_proj"]),
}


def log_likelihood(model, tok, context, continuation):
    ctx = tok(context, add_special_tokens=False).input_ids
    cont = tok(continuation, add_special_tokens=False).input_ids
    ids = torch.tensor([ctx + cont])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0].double(), dim=-1)
    total = sum(float(logp[len(ctx) + i - 1, t]) for i, t in enumerate(cont))
    return ctx, cont, total


def main():
    torch.manual_seed(0)
    folder, name = os.path.split(GGUF)
    base = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    out = {"generator": f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}",
           "model": GGUF, "pairs": [], "adapters": {}}
    for context, continuation in PAIRS:
        ctx, cont, ll = log_likelihood(base, tok, context, continuation)
        out["pairs"].append({"context": context, "continuation": continuation,
                             "context_ids": ctx, "continuation_ids": cont, "base_loglikelihood": ll})
    for style, kwargs in STYLES.items():
        model = get_peft_model(copy.deepcopy(base), LoraConfig(task_type="CAUSAL_LM", **kwargs))
        with torch.no_grad():
            for pname, p in model.named_parameters():
                if "lora_A" in pname or "lora_B" in pname:
                    p.copy_((torch.randn_like(p) * (0.1 if "lora_B" in pname else 0.05)).half().float())
        target = os.path.join(HERE, style)
        model.save_pretrained(target)
        config_path = os.path.join(target, "adapter_config.json")
        config = json.load(open(config_path))
        config["base_model_name_or_path"] = BASE_ID
        json.dump(config, open(config_path, "w"), indent=2, sort_keys=True)
        weights = os.path.join(target, "adapter_model.safetensors")
        save_file({k: v.half() for k, v in load_file(weights).items()}, weights, metadata={"format": "pt"})
        # Score what is on disk, loaded the way PEFT users load it.
        loaded = PeftModel.from_pretrained(copy.deepcopy(base), target).eval()
        lls = [log_likelihood(loaded, tok, p["context"], p["continuation"])[2] for p in out["pairs"]]
        sites = sorted(n for n, m in loaded.named_modules() if hasattr(m, "lora_A") and "default" in m.lora_A)
        out["adapters"][style] = {"loglikelihoods": lls, "adapted_modules": len(sites),
                                  "ranks": {n.removeprefix("base_model.model."): loaded.get_submodule(n).r["default"] for n in sites
                                            } if style in ("full-paths", "patterns", "rslora-dropout") else None,
                                  "scalings": {n.removeprefix("base_model.model."): loaded.get_submodule(n).scaling["default"] for n in sites
                                               } if style in ("full-paths", "patterns", "rslora-dropout") else None}
        print(style, len(sites), "modules", lls, file=sys.stderr)
    json.dump(out, open(os.path.join(HERE, "references.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
