import Engine
import Models

/// LoRA-MoE (MOELoRA) hyper-parameters: total `rank` split across `experts` (each r / E),
/// `scale = alpha / rank` (MOELoRA's `lora_alpha / r` with r the total rank), `tasks` rows in the
/// task-embedding table of dimension `taskEmbeddingDim`.
public struct LoRAMoEConfig: Codable, Equatable, Sendable {
    public var rank: Int
    public var alpha: Float
    public var experts: Int
    public var tasks: Int
    public var taskEmbeddingDim: Int
    public var targets: [Projection]

    public init(rank: Int = 16, alpha: Float = 32, experts: Int = 4, tasks: Int, taskEmbeddingDim: Int = 64,
                targets: [Projection] = [.q, .k, .v, .o]) {
        precondition(experts > 0 && rank > 0 && rank % experts == 0, "LoRAMoEConfig: rank \(rank) must be a positive multiple of experts \(experts)")
        precondition(tasks > 0 && taskEmbeddingDim > 0, "LoRAMoEConfig: tasks and taskEmbeddingDim must be positive")
        self.rank = rank; self.alpha = alpha; self.experts = experts; self.tasks = tasks
        self.taskEmbeddingDim = taskEmbeddingDim; self.targets = targets.sorted()
    }

    public var expertRank: Int { rank / experts }
    public var scale: Float { alpha / Float(rank) }
}

/// Tensors of every site. As in MOELoRA's `MMOELoraLinear`, every adapted projection has its own
/// task-embedding table `[tasks, d_e]` and gate `W_g [E, d_e]` (nothing is shared across layers),
/// plus experts A_i `[r_e, in]`, B_i `[out, r_e]`; gradient buffers of the same shapes.
/// (MOELoRA's table has `task_num + 1` rows; here the table has exactly `tasks` rows, ids 0..<tasks,
/// as in the fixture.)
public final class LoRAMoEParameters: @unchecked Sendable {
    public let config: LoRAMoEConfig
    public let sites: [AdapterSite]
    public private(set) var a: [AdapterSite: [Tensor]] = [:]
    public private(set) var b: [AdapterSite: [Tensor]] = [:]
    public private(set) var gate: [AdapterSite: Tensor] = [:]
    public private(set) var taskEmbedding: [AdapterSite: Tensor] = [:]
    public private(set) var gradA: [AdapterSite: [Tensor]] = [:]
    public private(set) var gradB: [AdapterSite: [Tensor]] = [:]
    public private(set) var gradGate: [AdapterSite: Tensor] = [:]
    public private(set) var gradTaskEmbedding: [AdapterSite: Tensor] = [:]

    public init(config: LoRAMoEConfig, model: LlamaConfig) {
        self.config = config
        self.sites = AdapterSite.all(config.targets, model: model)
        let re = config.expertRank, ex = config.experts
        for s in sites {
            let (out, inp) = s.projection.shape(model)
            a[s] = (0..<ex).map { _ in Tensor(shape: [re, inp]) }; gradA[s] = (0..<ex).map { _ in Tensor(shape: [re, inp]) }
            b[s] = (0..<ex).map { _ in Tensor(shape: [out, re]) }; gradB[s] = (0..<ex).map { _ in Tensor(shape: [out, re]) }
            gate[s] = Tensor(shape: [ex, config.taskEmbeddingDim]); gradGate[s] = Tensor(shape: [ex, config.taskEmbeddingDim])
            taskEmbedding[s] = Tensor(shape: [config.tasks, config.taskEmbeddingDim])
            gradTaskEmbedding[s] = Tensor(shape: [config.tasks, config.taskEmbeddingDim])
        }
    }

    /// MOELoRA's initialisation: A_i ~ N(0, 0.01²), B_i = 0 (so the model starts unchanged), the gate
    /// as torch's nn.Linear default (U(−1/√d_e, 1/√d_e)), the task embeddings as nn.Embedding's N(0, 1).
    public func initialiseLikeMOELoRA(rng: inout SplitMix64) {
        for s in sites {
            for t in a[s]! { for i in 0..<t.count { t.data[i] = Float(rng.nextNormal() * 0.01) } }
            for t in b[s]! { t.zero() }
            let g = gate[s]!, bound = 1 / Double(config.taskEmbeddingDim).squareRoot()
            for i in 0..<g.count { g.data[i] = Float((rng.nextUniform() * 2 - 1) * bound) }
            let e = taskEmbedding[s]!
            for i in 0..<e.count { e.data[i] = Float(rng.nextNormal()) }
        }
    }

    /// Names: `….lora_A.{i}.weight`, `….lora_B.{i}.weight`, `….lora_gate.weight`, `….lora_task_embedding.weight`.
    public var namedParameters: [(name: String, value: Tensor, grad: Tensor)] {
        sites.flatMap { s -> [(name: String, value: Tensor, grad: Tensor)] in
            var out: [(name: String, value: Tensor, grad: Tensor)] = []
            for i in 0..<config.experts { out.append((name: "\(s.moduleName).lora_A.\(i).weight", value: a[s]![i], grad: gradA[s]![i])) }
            for i in 0..<config.experts { out.append((name: "\(s.moduleName).lora_B.\(i).weight", value: b[s]![i], grad: gradB[s]![i])) }
            out.append((name: "\(s.moduleName).lora_gate.weight", value: gate[s]!, grad: gradGate[s]!))
            out.append((name: "\(s.moduleName).lora_task_embedding.weight", value: taskEmbedding[s]!, grad: gradTaskEmbedding[s]!))
            return out
        }
    }

    public func zeroGradients() { for (_, _, g) in namedParameters { g.zero() } }
}
