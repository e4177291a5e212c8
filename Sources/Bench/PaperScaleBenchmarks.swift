import Foundation
import Engine
import Models
import Adapters

/// The paper-scale parts (`bench --only llama7b` / `--only llama13b`): one scoring forward and
/// one LoRA training step (r = 16 on q, k, v, o, AdamW) at 8 × 512 on a LLaMA-2-shaped checkpoint
/// (`synth-checkpoint`), each in a child process so its peak RSS is its own. They take minutes,
/// so they are never in the default set, and each runs once (no warm-up: the first step is the
/// one whose memory matters). Training recomputes the MLP's gate/up in the backward pass, the
/// engine's one activation-recomputation option; everything else is saved per layer.
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
        let needed = Self.activationBytes(c, batch: batch, length: length, training: kind == "train") + model.weights.residentBytes
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
            let acts = DecoderActivations(config: c, batch: batch, seqLen: length, saveForBackward: true, recomputeMLP: true)
            parameters.zeroGradients()
            try decoder.lossAndGradients(b, acts)
            optimizer.step()
            out["\(name)_train_recompute"] = "mlp"
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let peak = Memory.peakResidentMiB()
        let fraction = decoder.dequantizeSeconds / seconds
        log(String(format: "%@ %@ %dx%d (%@ weights): %.1f s, %.1f tokens/s, peak RSS %.0f MiB, dequantizing %.1f%% of the time",
                   name, kind, batch, length, model.weights.residency.rawValue, seconds, tokens / seconds, peak, 100 * fraction))
        out["\(name)_\(kind)_\(batch)x\(length)_tokens_per_s"] = tokens / seconds
        out["\(name)_\(kind)\(infix)_peak_rss_mib"] = peak
        out["\(name)_\(kind)\(infix)_seconds"] = seconds
        out["\(name)_\(kind)\(infix)_dequant_fraction"] = fraction
        out["\(name)_\(kind)\(infix)_activation_estimate_mib"] = Double(Self.activationBytes(c, batch: batch, length: length, training: kind == "train")) / 1_048_576
        // The headline share: the 7B training step's time spent dequantizing.
        if part == "llama7b-train" { out["dequant_fraction\(infix)"] = fraction }
        return out
    }

    /// Bytes `DecoderActivations` (and, training, the backward scratch) will allocate, before
    /// allocating them (they are zero-filled, so touched at once).
    static func activationBytes(_ c: LlamaConfig, batch: Int, length: Int, training: Bool) -> Int {
        let n = batch * length, copies = training ? c.layerCount : 1
        let perLayer = n * (2 * c.hiddenSize + 2 * c.queryWidth + 2 * c.keyValueWidth + 2) + batch * c.headCount * length
        let mlp = 2 * n * c.intermediateSize * (training ? 1 : 1)   // gate/up: one shared copy (recomputed or inference)
        let shared = n * (2 * c.hiddenSize + c.intermediateSize) + n * c.hiddenSize * (training ? 1 : 1)
        let gradients = training ? n * (2 * c.hiddenSize + c.queryWidth + 2 * c.keyValueWidth + 3 * c.intermediateSize) : 0
        let lmHead = 128 << 20
        return 4 * (perLayer * copies + mlp + shared + gradients + n * c.hiddenSize) + lmHead
            + 4 * c.vocabularySize * c.hiddenSize   // the dequantization scratch's largest matrix (LM head)
    }
}
