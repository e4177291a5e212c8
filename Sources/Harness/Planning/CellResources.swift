// Each cell's estimated compute and peak memory, from exact work counts where the data allow:
// the training work is samples × the tokens of the padded batches they run in (lengths measured
// with the model's tokenizer), through ForwardCost's per-token and per-pair flops; the evaluation
// work is the prepared items' tokens, query–key pairs and logit rows (WorkloadTokens). Hours follow
// from a rate (float32 sgemm GFLOP/s × the fraction of it real runs sustain). Memory is analytic:
// float32-resident weights (the estimate's upper case; --weights resident keeps a large model's quantized encoding) + activations + LoRA
// parameters with their gradients and AdamW moments + the scoring KV cache.
import Foundation
import Models
import Training

public struct CellResources: Sendable {
    public let trainFLOP: Double
    public let evalFLOP: Double
    public let weightBytes: Double
    public let trainingActivationBytes: Double
    public let adapterAndOptimizerBytes: Double
    public let evaluationBytes: Double
    public var totalFLOP: Double { trainFLOP + evalFLOP }
    /// Training and evaluation run one after the other: the larger of the two sets is the peak.
    public var peakBytes: Double {
        weightBytes + CellResources.processBytes + max(trainingActivationBytes + adapterAndOptimizerBytes, evaluationBytes + adapterAndOptimizerBytes / 4)
    }

    /// Runtime, tokenizer, data and allocator slack of a metalora process.
    public static let processBytes = 300.0 * 1_048_576
    /// Fraction of the float32 sgemm rate whole runs sustain: training 82–89%, MMLU 79% (README, Performance).
    public static let sustainedFraction = 0.8
    /// Per-cell start-up: model load and data preparation, measured on the smoke and quick cells (README).
    public static func startupSeconds(weightBytes: Double) -> Double { 5 + weightBytes / 400e6 }

    public func seconds(gflops: Double) -> Double {
        totalFLOP / (gflops * 1e9 * CellResources.sustainedFraction) + CellResources.startupSeconds(weightBytes: weightBytes)
    }
}

public enum CellResourceModel {
    /// Rows a training step multiplies at once: MeTA-LoRA/-STA batch the n tasks' support (or query)
    /// sets through the frozen base; the epoch-based baselines run batch_size rows.
    static func rowsPerStep(_ cell: ResolvedCell) -> Int {
        let h = cell.hyper
        if h["iterations"] != nil {
            let n = h["tasks_per_iteration"]?.intValue ?? 2
            return n * max(h["support_size"]?.intValue ?? 8, h["query_size"]?.intValue ?? 8)
        }
        return max(1, h["batch_size"]?.intValue ?? 8)
    }

    /// Expected padded width of a batch of `rows` examples drawn from `lengths`: the longest of the
    /// batch rounded up to 16 (BatchAssembly), averaged over seeded draws.
    static func paddedWidth(_ lengths: [Int], rows: Int) -> Double {
        guard !lengths.isEmpty else { return 0 }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15, total = 0.0
        let draws = 256
        for _ in 0..<draws {
            var longest = 0
            for _ in 0..<rows {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                longest = max(longest, lengths[Int((state >> 33) % UInt64(lengths.count))])
            }
            total += Double((longest + 15) / 16 * 16)
        }
        return total / Double(draws)
    }

    /// LoRA parameters of one adapter copy: rank × (in + out) per targeted projection and layer.
    static func loraParameters(_ cell: ResolvedCell, _ c: LlamaConfig) -> Double {
        let r = Double(cell.hyper["rank"]?.intValue ?? 16)
        var names: [String] = ["q", "k", "v", "o"]
        if case .array(let a)? = cell.hyper["targets"] { names = a.compactMap(\.stringValue) }
        let C = Double(c.hiddenSize), Q = Double(c.queryWidth), KV = Double(c.keyValueWidth), H = Double(c.intermediateSize)
        let dims: [String: Double] = ["q": C + Q, "k": C + KV, "v": C + KV, "o": Q + C, "gate": C + H, "up": C + H, "down": H + C]
        return Double(c.layerCount) * r * names.reduce(0) { $0 + (dims[$1] ?? 0) }
    }

    /// Adapter copies held at once: MeTA-LoRA keeps one per task of an iteration plus the meta copy;
    /// multi-head methods one head per task (B matrices only, counted as whole copies: an upper bound).
    static func adapterCopies(_ cell: ResolvedCell) -> Double {
        if cell.hyper["iterations"] != nil { return Double((cell.hyper["tasks_per_iteration"]?.intValue ?? 2) + 1) }
        switch cell.method {
        case "hydralora", "rlora": return Double(max(1, cell.tasks.count))
        case "loramoe": return Double(cell.hyper["experts"]?.intValue ?? 4)
        default: return 1
        }
    }

    /// One training step's work per token and its activation memory, for `rows` sequences padded
    /// to `width` tokens, with the recomputation the trainers choose for that shape
    /// (`ActivationPlans`' automatic choice).
    public struct TrainingStep: Sendable {
        public let recomputation: ActivationRecomputation
        public let flopPerToken: Double
        /// `DecoderActivations`, the backward's gradient scratch, LoRA's saved x·Aᵀ and the LM head's chunk.
        public let activationBytes: Double
    }

    public static func trainingStep(_ shape: ModelShape, rows: Int, width: Double, loraParameters lora: Double,
                                    recompute: ActivationRecomputation? = nil) -> TrainingStep {
        let c = shape.config
        let C = Double(c.hiddenSize), H = Double(c.intermediateSize), Q = Double(c.queryWidth)
        let L = Double(c.layerCount), V = Double(c.vocabularySize)
        let T = max(Int(width.rounded(.up)), 1)
        let choice = recompute ?? DecoderActivations.automaticRecomputation(
            config: c, batch: rows, seqLen: T, mlpFromLength: ActivationPlans.defaultRecomputeMLPFromLength,
            layerAboveBytes: DecoderActivations.defaultLayerRecomputeAboveBytes)
        // A forward (2·P + attention over T(T+1)/2 pairs + LM head), a backward through the frozen
        // weights (the same again, no weight gradients), attention recomputed in the backward,
        // LoRA's 6 flops per parameter; then what the backward recomputes: gate/up (`.mlp`), or
        // the layer's forward up to gate/up, its attention and its adapters' forward (`.layer`).
        let linear = 2 * shape.layerParameters, head = 2 * V * C
        let attention = L * 2 * 2 * Q * (width + 1) / 2
        let recomputed: Double
        switch choice {
        case .none: recomputed = 0
        case .mlp: recomputed = L * 2 * 2 * C * H
        case .layer: recomputed = linear - L * 2 * C * H + attention + 2 * lora
        }
        let flop = 2 * (linear + head) + 3 * attention + 6 * lora + recomputed
        let n = rows * T
        // Saved x·Aᵀ: N·r floats per targeted site, and Σ r over the sites ≈ lora / (in + out) ≈ lora / 2C.
        let savedXA = 4 * Double(n) * lora / (2 * C)
        let bytes = Double(DecoderActivations.plannedBytes(config: c, batch: rows, seqLen: T, saveForBackward: true, recompute: choice)
                           + DecoderActivations.backwardScratchBytes(config: c, rows: n))
            + savedXA + 128 * 1_048_576
        return TrainingStep(recomputation: choice, flopPerToken: flop, activationBytes: bytes)
    }

    /// The planning model applied to one step of `bench --only llama7b|llama13b` (batch × length
    /// tokens; training = LoRA r = 16 on q, k, v, o with `recompute`), so the bench can print the
    /// estimate beside what it measured: seconds at `gflops` × `sustainedFraction`, and bytes
    /// besides the weights (activations, adapter with AdamW, process).
    public static func benchStep(_ shape: ModelShape, batch: Int, length: Int, training: Bool,
                                 recompute: ActivationRecomputation?, gflops: Double) -> (seconds: Double, bytes: Double) {
        let c = shape.config, tokens = Double(batch * length)
        let rate = gflops * 1e9 * CellResources.sustainedFraction
        if training {
            let C = Double(c.hiddenSize), Q = Double(c.queryWidth), KV = Double(c.keyValueWidth)
            let lora = Double(c.layerCount) * 16 * ((C + Q) * 2 + 2 * (C + KV))
            let step = trainingStep(shape, rows: batch, width: Double(length), loraParameters: lora, recompute: recompute)
            return (tokens * step.flopPerToken / rate, step.activationBytes + 4 * 4 * lora + CellResources.processBytes)
        }
        var cost = ForwardCost.full(batch: batch, seqLen: length, layers: c.layerCount)
        cost.logitRows = batch * length
        let bytes = Double(DecoderActivations.plannedBytes(config: c, batch: batch, seqLen: length, saveForBackward: false))
            + 128 * 1_048_576 + CellResources.processBytes
        return (cost.flops(for: c).total / rate, bytes)
    }

    public static func estimate(_ cell: ResolvedCell, shape: ModelShape, lengths: TrainingLengths?, evaluation: [EvaluationWork]) -> CellResources {
        let c = shape.config
        let C = Double(c.hiddenSize), H = Double(c.intermediateSize), Q = Double(c.queryWidth), KV = Double(c.keyValueWidth)
        let L = Double(c.layerCount), V = Double(c.vocabularySize)
        let maxLen = cell.maxSeqLen ?? 512
        let rows = rowsPerStep(cell)
        let lora = loraParameters(cell, c)
        // Training: per row of a padded batch of width T, `trainingStep`'s work (forward, backward,
        // and what the backward recomputes).
        var trainFLOP = 0.0, width = 0.0
        if cell.cost.trainSamples > 0 {
            width = lengths.map { paddedWidth($0.lengths, rows: rows) } ?? Double(maxLen)
            width = min(width, Double(maxLen + 15) / 16 * 16)
            trainFLOP = Double(cell.cost.trainSamples) * width * trainingStep(shape, rows: rows, width: width, loraParameters: lora).flopPerToken
        }
        // Evaluation: ForwardCost's flops of the counted work, plus 2·P per generated token.
        var evalFLOP = 0.0, longest = 0
        for w in evaluation {
            var f = ForwardCost()
            f.tokens = w.tokens; f.layerTokens = w.tokens * c.layerCount; f.attentionPairs = w.attentionPairs * c.layerCount
            f.logitRows = w.logitRows
            evalFLOP += f.flops(for: c).total + Double(w.generatedTokens) * 2 * (shape.layerParameters + V * C)
            longest = max(longest, w.longestRequest)
        }
        let T = max(width, 16)
        let trainingActivations = cell.cost.trainSamples > 0 ? trainingStep(shape, rows: rows, width: T, loraParameters: lora).activationBytes : 0
        let adapter = 4 * 4 * lora * adapterCopies(cell)
        // Scoring: a KV cache of up to 16 packed items within the 2 GiB budget, and one layer's activations.
        let window = Double(min(16 * max(longest, 1), Int.max / 2))
        let kv = min(2 * 1_073_741_824.0, 4 * 2 * L * KV * window)
        let evaluationBytes = evaluation.isEmpty ? 0 : kv + 4 * window * (3 * C + 2 * Q + 2 * KV + 3 * H) + 4 * 256 * V
        return CellResources(trainFLOP: trainFLOP, evalFLOP: evalFLOP, weightBytes: 4 * shape.totalParameters,
                             trainingActivationBytes: trainingActivations, adapterAndOptimizerBytes: adapter, evaluationBytes: evaluationBytes)
    }
}
