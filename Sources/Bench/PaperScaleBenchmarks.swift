import Foundation
import Engine
import Models
import Adapters

/// The paper-scale parts (`bench --only llama7b` / `--only llama13b`): one scoring forward and
/// one LoRA training step (r = 16 on q, k, v, o, AdamW) at 8 × 512 on a LLaMA-2-shaped checkpoint
/// (`synth-checkpoint`), each in a child process so its peak RSS is its own. They take minutes,
/// so they are never in the default set, and each runs once (no warm-up: the first step is the
/// one whose memory matters). Training recomputes whole layers in the backward pass
/// (`ActivationRecomputation.layer`): only the residual stream is kept per layer, which is what
/// lets 7B and 13B train at 8 × 512 here; the keys record the recomputation that ran.
extension Benchmarks {
    /// The names `--only` accepts, and the child parts each stands for.
    public static let paperScaleParts: [String: [String]] = [
        "llama7b": ["llama7b-score", "llama7b-train"],
        "llama13b": ["llama13b-train"],
    ]
    static let paperScaleShapes: [String: (hidden: Int, layers: Int)] = ["llama7b": (4096, 32), "llama13b": (5120, 40)]

    /// Runs one child part (`llama7b-score`, `llama7b-train`, `llama13b-train`).
    func paperScale(_ part: String) throws -> [String: Any] {
        let pieces = part.split(separator: "-").map(String.init)
        let name = pieces[0], kind = pieces[1]
        let c = model.config
        guard let shape = Self.paperScaleShapes[name], c.hiddenSize == shape.hidden, c.layerCount == shape.layers else {
            throw BenchError.wrongModel(part: name, model: model.url.path,
                                        reason: "needs a \(name) checkpoint (hidden \(Self.paperScaleShapes[name]?.hidden ?? 0), "
                                            + "\(Self.paperScaleShapes[name]?.layers ?? 0) layers; see `metalora synth-checkpoint`), "
                                            + "this one has hidden \(c.hiddenSize), \(c.layerCount) layers")
        }
        let (batch, length) = paperScaleShape
        // The figures are at 8 × 512; any other shape (a quick check on a busy machine) is named in its keys.
        let infix = (batch, length) == (8, 512) ? "" : "_\(batch)x\(length)"
        let training = kind == "train"
        let recompute = Self.paperScaleRecomputation
        let needed = Self.activationBytes(c, batch: batch, length: length, training: training, recompute: recompute)
            + model.weights.residentBytes
        let available = Memory.availableBytes()
        if available > 0 && needed > available {
            throw BenchError.wouldNotFit(part: part, neededMiB: Double(needed) / 1_048_576, availableMiB: Double(available) / 1_048_576)
        }
        let b = randomBatch(batch: batch, length: length, seed: 5, labels: true)
        let decoder = model.decoder
        let tokens = Double(batch * length)
        var out: [String: Any] = ["\(name)_weights": model.weights.residency.rawValue,
                                  "\(name)_weight_mib": Double(model.weights.residentBytes) / 1_048_576]
        decoder.resetDequantizeTime()
        let start = DispatchTime.now().uptimeNanoseconds
        if kind == "score" {
            let acts = DecoderActivations(config: c, batch: batch, seqLen: length, saveForBackward: false)
            try decoder.forward(b, acts)
            _ = decoder.scoreTargets(b, acts)
        } else {
            let parameters = LoRAParameters(config: LoRAConfig(rank: 16, alpha: 32, targets: [.q, .k, .v, .o]), model: c)
            var rng = SplitMix64(seed: 3)
            parameters.initialiseLikePEFT(rng: &rng)
            decoder.adapter = LoRAAdapter(parameters)
            defer { decoder.adapter = nil }
            let group = ParameterGroup(name: "lora", parameters: parameters.namedParameters.map { Parameter(name: $0.name, value: $0.value, grad: $0.grad) },
                                       lr: 2e-4, weightDecay: 0)
            let optimizer = AdamW(groups: [group])
            let acts = DecoderActivations(config: c, batch: batch, seqLen: length, saveForBackward: true, recompute: recompute)
            parameters.zeroGradients()
            try decoder.lossAndGradients(b, acts)
            optimizer.step()
            out["\(name)_train_recompute"] = acts.recomputation.rawValue
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let peak = Memory.peakResidentMiB()
        let fraction = decoder.dequantizeSeconds / seconds
        log(String(format: "%@ %@ %dx%d (%@ weights): %.1f s, %.1f tokens/s, peak RSS %.0f MiB, dequantizing %.1f%% of the time",
                   name, kind, batch, length, model.weights.residency.rawValue, seconds, tokens / seconds, peak, 100 * fraction))
        func key(_ measure: String) -> String { Self.paperScaleKey(name, kind, measure, batch: batch, length: length) }
        out[key("tokens_per_s")] = tokens / seconds
        out[key("peak_rss_mib")] = peak
        out[key("seconds")] = seconds
        out[key("dequant_fraction")] = fraction
        out[key("activation_estimate_mib")] = Double(needed - model.weights.residentBytes) / 1_048_576
        out[key("estimate_mib")] = Double(needed) / 1_048_576
        // The headline share: the 7B training step's time spent dequantizing.
        if part == "llama7b-train" { out["dequant_fraction\(infix)"] = fraction }
        return out
    }

    /// The key of one measurement of a paper-scale part: tokens/s always name the shape
    /// (`llama7b_train_8x512_tokens_per_s`); the other measurements name it only when it is not
    /// the 8 × 512 (`llama7b_train_peak_rss_mib`, `llama7b_train_1x64_peak_rss_mib`).
    public static func paperScaleKey(_ name: String, _ kind: String, _ measure: String, batch: Int, length: Int) -> String {
        if measure == "tokens_per_s" { return "\(name)_\(kind)_\(batch)x\(length)_tokens_per_s" }
        let infix = (batch, length) == (8, 512) ? "" : "_\(batch)x\(length)"
        return "\(name)_\(kind)\(infix)_\(measure)"
    }

    /// What the paper-scale training step recomputes in its backward pass.
    public static let paperScaleRecomputation = ActivationRecomputation.layer

    /// Bytes the part will allocate besides the weights, before allocating them (the buffers are
    /// zero-filled, so touched at once): `DecoderActivations` (with `recompute` when training),
    /// the backward's gradient scratch, LoRA r = 16 on q, k, v, o with its gradients, AdamW
    /// moments and saved x·Aᵀ, the attention and LM-head scratch, and the dequantization scratch
    /// (its largest matrix, the LM head).
    public static func activationBytes(_ c: LlamaConfig, batch: Int, length: Int, training: Bool,
                                recompute: ActivationRecomputation = paperScaleRecomputation) -> Int {
        let n = batch * length
        let activations = DecoderActivations.plannedBytes(config: c, batch: batch, seqLen: length, saveForBackward: training,
                                                          recompute: recompute)
        let gradients = training ? DecoderActivations.backwardScratchBytes(config: c, rows: n) : 0
        let rank = 16, sites = 4 * c.layerCount
        // r · (in + out) per site: q (C + QW), k and v (C + KW), o (QW + C).
        let loraParameters = c.layerCount * rank * (4 * c.hiddenSize + 2 * c.queryWidth + 2 * c.keyValueWidth)
        let adapter = training ? 4 * (4 * loraParameters + sites * n * rank) : 0
        let attentionScratch = 4 * AttentionScratch.floatCount(maxKeys: length, threads: Parallel.threads)
        let lmHead = 128 << 20
        return activations + gradients + adapter + attentionScratch + lmHead
            + 4 * c.vocabularySize * c.hiddenSize   // the dequantization scratch's largest matrix (LM head)
    }
}
