import Foundation
import Engine
import Models

/// LoRA-MoE (MOELoRA, Liu et al. 2023) as a `ProjectionAdapter`: sequence b of the batch is gated by
/// the task `layout.sequenceGroups[b]` (a task id in 0..<tasks); see `LoRAMoELayer`.
public final class LoRAMoEAdapter: ProjectionAdapter, TrainableAdapter, @unchecked Sendable {
    public let parameters: LoRAMoEParameters
    public var config: LoRAMoEConfig { parameters.config }
    let targetSet: Set<Projection>

    final class Saved {
        let gate: Tensor, xa: Tensor
        init(sequences: Int, rows: Int, config c: LoRAMoEConfig) {
            gate = Tensor(shape: [sequences, c.experts]); xa = Tensor(shape: [c.experts, rows, c.expertRank])
        }
    }
    var saved: [AdapterSite: Saved] = [:]
    var scratch: LoRAMoELayer.Scratch?
    var embeddings: Tensor?      // gathered e [Bsz, d_e]
    var dEmbeddings: Tensor?     // de [Bsz, d_e]
    /// Rows and sequences the saved activations and scratch can hold (grown on demand, reused otherwise).
    var capacity: (rows: Int, sequences: Int) = (-1, -1)

    /// How a sequence picks its gate: by its task id (training, held-out loss), or — for items of
    /// tasks the adapter never saw, such as benchmark questions — by `unseenTaskRule`.
    public enum Routing: Sendable { case taskIndex, uniformMixtureOfTaskGates }
    public var routing: Routing = .taskIndex
    /// The rule for items of unseen tasks, as printed in the deviation block.
    public static let unseenTaskRule = "uniform mixture of the training tasks' gates: gate = (1/T) Σ_t softmax(e_t W_g)"

    public init(parameters: LoRAMoEParameters) {
        self.parameters = parameters
        self.targetSet = Set(parameters.config.targets)
    }

    /// LoRA-MoE with `experts` experts sharing total rank `rank`, a gate conditioned on `tasks` task
    /// embeddings, initialised as MOELoRA does.
    public convenience init(model: LlamaConfig, tasks: Int, rank: Int = 16, alpha: Float = 32, experts: Int = 4,
                            taskEmbeddingDim: Int = 64, targets: [Projection] = [.q, .k, .v, .o], seed: UInt64) {
        let p = LoRAMoEParameters(config: LoRAMoEConfig(rank: rank, alpha: alpha, experts: experts, tasks: tasks,
                                                        taskEmbeddingDim: taskEmbeddingDim, targets: targets), model: model)
        var rng = SplitMix64(seed: seed)
        p.initialiseLikeMOELoRA(rng: &rng)
        self.init(parameters: p)
    }

    public var kind: String { "loramoe" }
    public var namedParameters: [(name: String, value: Tensor, grad: Tensor)] { parameters.namedParameters }
    public func zeroGradients() { parameters.zeroGradients() }
    public func targets(layer: Int, projection: Projection) -> Bool { targetSet.contains(projection) }

    public func prepare(layout: BatchLayout, training: Bool) {
        for g in layout.sequenceGroups {
            precondition(g >= 0 && g < config.tasks, "LoRA-MoE: sequence task id \(g) is outside 0..<\(config.tasks)")
        }
        guard layout.rows > capacity.rows || layout.batch > capacity.sequences else { return }
        let rows = max(layout.rows, capacity.rows), sequences = max(layout.batch, capacity.sequences)
        capacity = (rows, sequences)
        saved = Dictionary(uniqueKeysWithValues: parameters.sites.map { ($0, Saved(sequences: sequences, rows: rows, config: config)) })
        scratch = LoRAMoELayer.Scratch(rows: rows, expertRank: config.expertRank, sequences: sequences, experts: config.experts)
        embeddings = Tensor(shape: [max(sequences, 1), config.taskEmbeddingDim])
        dEmbeddings = Tensor(shape: [max(sequences, 1), config.taskEmbeddingDim])
    }

    func shapes(_ site: AdapterSite, _ layout: BatchLayout) -> LoRAMoELayer.Shapes {
        LoRAMoELayer.Shapes(sequences: layout.batch, seqLen: layout.seqLen, inFeatures: parameters.a[site]![0].shape[1],
                            outFeatures: parameters.b[site]![0].shape[0], expertRank: config.expertRank,
                            experts: config.experts, embeddingDim: config.taskEmbeddingDim)
    }

    /// e_b = T[task(b)] for the site's table.
    func gatherEmbeddings(_ site: AdapterSite, _ layout: BatchLayout) -> Tensor {
        let e = embeddings!
        LoRAMoELayer.gatherTaskEmbeddings(table: parameters.taskEmbedding[site]!.data, tasks: layout.sequenceGroups,
                                          embeddingDim: config.taskEmbeddingDim, into: e.data)
        return e
    }

    public func forward(layer: Int, projection: Projection, x: UnsafePointer<Float>, ldx: Int,
                        y: UnsafeMutablePointer<Float>, ldy: Int, layout: BatchLayout, training: Bool) {
        let site = AdapterSite(layer: layer, projection: projection)
        guard let st = saved[site], let scratch else { preconditionFailure("LoRAMoEAdapter: forward before prepare") }
        let p = parameters
        let e = gatherEmbeddings(site, layout)
        let s = shapes(site, layout)
        if routing == .uniformMixtureOfTaskGates { mixtureGate(site, s, into: st.gate) }
        LoRAMoELayer.forward(s, x: x, ldx: ldx, a: p.a[site]!.map { UnsafePointer($0.data) },
                             b: p.b[site]!.map { UnsafePointer($0.data) }, gateWeight: p.gate[site]!.data, taskEmbedding: e.data,
                             scale: config.scale, y: y, ldy: ldy, gate: st.gate.data, xa: st.xa.data, scratch: scratch,
                             gateGiven: routing == .uniformMixtureOfTaskGates)
    }

    /// Every sequence's gate = the mean over the T training tasks of softmax(e_t W_gᵀ).
    func mixtureGate(_ site: AdapterSite, _ s: LoRAMoELayer.Shapes, into gate: Tensor) {
        let t = config.tasks, ex = config.experts
        let perTask = Tensor(shape: [t, ex])
        LoRAMoELayer.gateForward(s, rows: t, gateWeight: parameters.gate[site]!.data,
                                 taskEmbedding: parameters.taskEmbedding[site]!.data, gate: perTask.data)
        var mean = [Float](repeating: 0, count: ex)
        for task in 0..<t { for i in 0..<ex { mean[i] += perTask.data[task * ex + i] / Float(t) } }
        for q in 0..<s.sequences { for i in 0..<ex { gate.data[q * ex + i] = mean[i] } }
    }

    public func backward(layer: Int, projection: Projection, x: UnsafePointer<Float>, ldx: Int,
                         dy: UnsafePointer<Float>, ldy: Int, dx: UnsafeMutablePointer<Float>, lddx: Int, layout: BatchLayout) {
        let site = AdapterSite(layer: layer, projection: projection)
        guard let st = saved[site], let scratch, let de = dEmbeddings else { preconditionFailure("LoRAMoEAdapter: backward before forward") }
        precondition(routing == .taskIndex, "LoRAMoEAdapter: the unseen-task mixture gate is for inference only")
        let p = parameters
        let e = gatherEmbeddings(site, layout)
        de.zero()
        LoRAMoELayer.backward(shapes(site, layout), x: x, ldx: ldx, dy: dy, ldy: ldy,
                              a: p.a[site]!.map { UnsafePointer($0.data) }, b: p.b[site]!.map { UnsafePointer($0.data) },
                              gateWeight: p.gate[site]!.data, taskEmbedding: e.data, scale: config.scale,
                              gate: st.gate.data, xa: st.xa.data, dx: dx, lddx: lddx,
                              dA: p.gradA[site]!.map(\.data), dB: p.gradB[site]!.map(\.data),
                              dGateWeight: p.gradGate[site]!.data, dTaskEmbedding: de.data, scratch: scratch)
        // Scatter-add each sequence's de into its task's row of the table gradient.
        LoRAMoELayer.scatterTaskGradient(de.data, tasks: layout.sequenceGroups, embeddingDim: config.taskEmbeddingDim,
                                         into: p.gradTaskEmbedding[site]!.data)
    }

    public func save(to folder: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (name, value, _) in namedParameters { tensors[name] = value }
        let c = config
        let json: [String: Any] = [
            "kind": kind, "r": c.rank, "lora_alpha": Double(c.alpha), "scale": Double(c.scale), "expert_num": c.experts,
            "task_num": c.tasks, "task_embedding_dim": c.taskEmbeddingDim, "target_modules": c.targets.map(\.rawValue),
            "num_layers": Set(parameters.sites.map(\.layer)).count, "library": "metalora",
        ]
        try AdapterFolder.write(tensors: tensors, config: json, to: folder)
    }

    /// Loads a LoRA-MoE folder for `model`; refuses other kinds, a different layer count, and
    /// missing, extra or mis-shaped tensors.
    public static func load(_ path: URL, model: LlamaConfig) throws -> LoRAMoEAdapter {
        let folder = AdapterFolder.folder(path)
        let json = try AdapterFolder.readConfig(folder, kinds: ["loramoe"])
        let file = folder.appendingPathComponent(AdapterFolder.configFile).path
        let rank = try AdapterFolder.int(json, "r", folder), experts = try AdapterFolder.int(json, "expert_num", folder)
        guard rank % experts == 0 else { throw AdapterError.invalid(file: file, reason: "r \(rank) is not a multiple of expert_num \(experts)") }
        if let layers = json["num_layers"] as? Int, layers != model.layerCount {
            throw AdapterError.invalid(file: file, reason: "adapter has \(layers) layers but the model has \(model.layerCount)")
        }
        let config = LoRAMoEConfig(rank: rank, alpha: Float((json["lora_alpha"] as? Double) ?? Double(rank)), experts: experts,
                                   tasks: try AdapterFolder.int(json, "task_num", folder),
                                   taskEmbeddingDim: try AdapterFolder.int(json, "task_embedding_dim", folder),
                                   targets: try AdapterFolder.targets(json, folder))
        let p = LoRAMoEParameters(config: config, model: model)
        try AdapterFolder.fill(p.namedParameters.map { (name: $0.name, value: $0.value) }, from: folder, modelLayers: model.layerCount)
        return LoRAMoEAdapter(parameters: p)
    }
}
