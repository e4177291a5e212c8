// The cost section of `metalora plan`: per cell the estimated hours and peak memory on this machine
// and on a described node, the total, and the total spread over N array tasks (longest-first
// packing of the cells onto N tasks: the wall time until the last one ends).
import Foundation
import Models

public struct PlanCostOptions: Sendable {
    public var modelShape: String?
    public var node: NodeDescription?
    public var arrayTasks: Int?
    public var dataDirectory: String?
    public init(modelShape: String? = nil, node: NodeDescription? = nil, arrayTasks: Int? = nil, dataDirectory: String? = nil) {
        self.modelShape = modelShape; self.node = node; self.arrayTasks = arrayTasks; self.dataDirectory = dataDirectory
    }
}

public struct PlanCost: Sendable {
    public let shape: ModelShape
    public let localGFLOPS: Double
    public let nodeGFLOPS: Double?
    public let node: NodeDescription?
    public let perCell: [CellResources]
    public let notes: [String]

    /// Seconds of each cell on this machine, or on the node.
    public func seconds(onNode: Bool) -> [Double] { perCell.map { $0.seconds(gflops: onNode ? nodeGFLOPS ?? localGFLOPS : localGFLOPS) } }

    /// Wall time of `seconds` packed longest first onto `tasks` parallel slots.
    public static func makespan(_ seconds: [Double], tasks: Int) -> Double {
        var slots = [Double](repeating: 0, count: max(1, tasks))
        for s in seconds.sorted(by: >) { let i = slots.indices.min { slots[$0] < slots[$1] }!; slots[i] += s }
        return slots.max() ?? 0
    }

    /// The shape (named, else the model file's header), the rate and the token counts; throws when
    /// the shape cannot be known (no such model file, no header).
    public static func estimate(_ cells: [ResolvedCell], options: PlanCostOptions, paths: HarnessPaths) throws -> PlanCost {
        guard let first = cells.first else { throw SpecError(file: "plan", line: 0, field: "", message: "no cells") }
        let modelURL = paths.resolve(first.model)
        let shape = try options.modelShape.map(ModelShape.named) ?? ModelShape.read(modelURL)
        var notes: [String] = []
        // Token counts need a tokenizer: the model's own, else (a named shape without a file) the default model's.
        var tokenizerURL = modelURL
        if !FileManager.default.fileExists(atPath: modelURL.path) {
            tokenizerURL = paths.resolve("models/SmolLM2-135M-Instruct.Q4_1.gguf")
            notes.append("token counts use \(tokenizerURL.lastPathComponent)'s tokenizer as a stand-in for the model's")
        }
        let tokens: WorkloadTokens?
        do { tokens = try WorkloadTokens(tokenizerModel: tokenizerURL, cacheURL: paths.results.appendingPathComponent("plan-cache.json"),
                                         dataDirectory: options.dataDirectory) }
        catch { tokens = nil; notes.append("no tokenizer (\(error)): training work bounded by max_seq_len, evaluation not counted") }
        var perCell: [CellResources] = []
        var lengthsByKey: [String: TrainingLengths] = [:]
        var evalByKey: [String: EvaluationWork] = [:]
        for c in cells {
            let maxLen = c.maxSeqLen ?? 512
            var lengths: TrainingLengths?
            if c.cost.trainSamples > 0, let tokens {
                let key = "\(maxLen)|\(c.tasks.joined(separator: ","))"
                if lengthsByKey[key] == nil {
                    do { lengthsByKey[key] = try tokens.trainingLengths(tasks: c.tasks, maxLength: maxLen) }
                    catch { notes.append("training lengths of \(c.setting) not counted (\(error)): bounded by max_seq_len \(maxLen)") }
                }
                lengths = lengthsByKey[key]
            }
            var evaluation: [EvaluationWork] = []
            if let tokens {
                for b in c.benchmarks {
                    let key = "\(b.json.canonical)|\(c.evalLimit.map(String.init) ?? "all")"
                    if evalByKey[key] == nil {
                        do { evalByKey[key] = try tokens.evaluationWork(b, limit: c.evalLimit, maxLength: shape.config.contextLength) }
                        catch { notes.append("evaluation of \(b.name) not counted: \(error)") }
                    }
                    if let w = evalByKey[key] { evaluation.append(w) }
                }
            }
            perCell.append(CellResourceModel.estimate(c, shape: shape, lengths: lengths, evaluation: evaluation))
        }
        let rate = MachineRate.gflops(config: shape.config, cacheURL: paths.results.appendingPathComponent("sgemm-rate.json")).gflops
        let nodeRate = options.node.map { $0.gflops(localRate: rate, localCores: ProcessInfo.processInfo.activeProcessorCount) }
        return PlanCost(shape: shape, localGFLOPS: rate, nodeGFLOPS: nodeRate, node: options.node, perCell: perCell,
                        notes: Array(Set(notes)).sorted())
    }

    public static func hours(_ s: Double) -> String {
        s < 3600 ? String(format: "%.2f h", s / 3600) : s < 360_000 ? String(format: "%.1f h", s / 3600) : String(format: "%.0f h", s / 3600)
    }
    static func gib(_ b: Double) -> String { String(format: "%.1f GiB", b / 1_073_741_824) }

    public func describe(_ cells: [ResolvedCell], arrayTasks: Int?) -> String {
        let c = shape.config
        var lines = ["", "cost: model \(shape.name) (\(shape.source); \(String(format: "%.2f", shape.totalParameters / 1e9)) B parameters, \(c.layerCount) layers, hidden \(c.hiddenSize)), frozen weights counted float32-resident (with --weights resident a large model keeps its quantized encoding, README \"Weights in memory\")"]
        lines.append(String(format: "  this machine: %d cores, sgemm %.0f GFLOP/s at the model's shapes (%.0f%% of it sustained)",
                            ProcessInfo.processInfo.activeProcessorCount, localGFLOPS, CellResources.sustainedFraction * 100)
                     + (nodeGFLOPS.map { String(format: "; node (%@): %.0f GFLOP/s", node!.label, $0) } ?? ""))
        var header = "  #    method               train TFLOP  eval TFLOP   hours here"
        if nodeGFLOPS != nil { header += "   hours on node" }
        header += "   peak memory (weights + activations + adapter/optimizer + KV cache)"
        lines.append(header)
        let here = seconds(onNode: false), there = seconds(onNode: true)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        for (i, (cell, r)) in zip(cells, perCell).enumerated() {
            var l = "  " + pad(String(cell.index), 5) + pad(cell.methodLabel, 21) + pad(String(format: "%.3g", r.trainFLOP / 1e12), 13)
                + pad(String(format: "%.3g", r.evalFLOP / 1e12), 13) + pad(PlanCost.hours(here[i]), 13)
            if nodeGFLOPS != nil { l += pad(PlanCost.hours(there[i]), 16) }
            l += "\(PlanCost.gib(r.peakBytes)) (\(PlanCost.gib(r.weightBytes)) + \(PlanCost.gib(r.trainingActivationBytes)) + \(PlanCost.gib(r.adapterAndOptimizerBytes)) + \(PlanCost.gib(r.evaluationBytes)))"
            lines.append(l)
        }
        let n = arrayTasks ?? cells.count
        let peak = perCell.map(\.peakBytes).max() ?? 0
        var total = "  total: \(PlanCost.hours(here.reduce(0, +))) here, \(PlanCost.hours(PlanCost.makespan(here, tasks: n))) over \(n) array task(s)"
        if nodeGFLOPS != nil {
            total += "; on the node \(PlanCost.hours(there.reduce(0, +))) (node-hours at one task per node), \(PlanCost.hours(PlanCost.makespan(there, tasks: n))) over \(n) array task(s)"
        }
        lines.append(total + "; peak memory of one cell \(PlanCost.gib(peak))")
        for note in notes { lines.append("  note: \(note)") }
        return lines.joined(separator: "\n")
    }
}
