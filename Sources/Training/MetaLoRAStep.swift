import Foundation
import Engine
import Models
import Adapters

/// How Stage I and the query gradients of one iteration run through the frozen base.
public enum MetaLoRALoop: String, Codable, CaseIterable, Sendable {
    /// Task after task, as the paper's loop reads (one forward/backward per task and step).
    case sequential
    /// The n tasks' batches concatenated and run together: one sgemm per base projection for all
    /// tasks, each row segment with its own adapter copy θ_i (`LoRAAdapter(copies:)` +
    /// `TokenBatch.sequenceGroups`), as multi-adapter trainers such as m-LoRA do.
    case batched
}

/// What one iteration did, for the loss curve and Table 7's counters.
public struct MetaIterationStats: Sendable, Equatable {
    /// Support loss before each adaptation step (token mean over the n tasks' support sets);
    /// `supportLosses[0]` is the support loss at θ.
    public var supportLosses: [Double] = []
    /// Query loss at the adapted θ_i (Eq. 6), token mean over the n tasks' query sets.
    public var queryLoss: Double = 0
    /// Per-task query losses (token mean over each task's query set).
    public var taskQueryLosses: [Double] = []
    /// Sequences run forward and backward (k·n_s + n_q per task).
    public var samples: Int = 0
    /// Real (unpadded) tokens in those sequences.
    public var tokens: Int = 0
}

/// Hooks to watch an iteration step by step (the fixture tests compare every intermediate).
public struct MetaLoRAObserver {
    /// After adaptation step `step` (1-based) of task `task`: `copy.grad*` = ∇L_S at θ_i^(step-1),
    /// `copy.a/b` = θ_i^(step).
    public var adaptationStep: ((_ task: Int, _ step: Int, _ copy: LoRAParameters) -> Void)?
    /// After the query gradient of task `task`: `copy.grad*` = ∇L_Q(θ_i) (Eq. 6).
    public var queryGradient: ((_ task: Int, _ copy: LoRAParameters) -> Void)?
    /// Before the AdamW step: `theta.grad*` = the task-averaged query gradient (Eq. 5).
    public var metaGradient: ((_ theta: LoRAParameters) -> Void)?
    public init(adaptationStep: ((Int, Int, LoRAParameters) -> Void)? = nil,
                queryGradient: ((Int, LoRAParameters) -> Void)? = nil,
                metaGradient: ((LoRAParameters) -> Void)? = nil) {
        self.adaptationStep = adaptationStep; self.queryGradient = queryGradient; self.metaGradient = metaGradient
    }
}

/// One MeTA-LoRA iteration (Algorithm 1, first-order) on given support and query batches:
///
///   Stage I   for each task i: θ_i ← θ; k times θ_i ← θ_i − α ∇L_S_i(θ_i)        (Eq. 3, 4)
///   Stage II  g_i = ∇L_Q_i(θ_i) (the adaptation graph is detached: no second-order terms, Eq. 6)
///             θ ← AdamW(θ, (1/n) Σ_i g_i) at rate β                              (Eq. 5)
///
/// With `adaptationSteps` = 0 this is the -STA ablation: the query gradients are taken at θ.
/// Each task's loss averages over its own set as `lossNormalization` says: the mean over examples
/// of each example's token mean (Eq. 4 / 6 as written), or the token mean over the set's labelled
/// positions (the two agree when every example has the same number of answer tokens).
public final class MetaLoRAStep {
    public let decoder: LlamaDecoder
    /// The shared adapter θ; its gradient buffers receive the meta-gradient.
    public let theta: LoRAParameters
    /// The task-specific copies θ_1..θ_n (temporary, Algorithm 1 line 8).
    public let taskCopies: [LoRAParameters]
    /// The adapter the decoder runs during an iteration: one copy per task.
    public let taskAdapter: LoRAAdapter
    /// The meta-optimizer over θ (Eq. 5); its state is checkpointed.
    public let optimizer: AdamW
    public var adaptationSteps: Int
    /// α (Eq. 3).
    public var alpha: Double
    public var loop: MetaLoRALoop
    public var gradientClip: Double?
    public var lossNormalization: LossNormalization
    public var observer = MetaLoRAObserver()
    let plans: ActivationPlans

    public init(decoder: LlamaDecoder, theta: LoRAParameters, tasksPerIteration: Int, adaptationSteps: Int,
                alpha: Double, beta: Double, weightDecay: Double = 0, loop: MetaLoRALoop = .batched,
                gradientClip: Double? = nil, lossNormalization: LossNormalization = .tokenMean, plans: ActivationPlans? = nil) {
        self.lossNormalization = lossNormalization
        self.decoder = decoder
        self.theta = theta
        self.taskCopies = (0..<tasksPerIteration).map { _ in theta.clone(model: decoder.config) }
        self.taskAdapter = LoRAAdapter(copies: taskCopies)
        let parameters = theta.namedParameters.map { Parameter(name: $0.name, value: $0.value, grad: $0.grad) }
        self.optimizer = AdamW(groups: [ParameterGroup(name: "lora", parameters: parameters, lr: beta, weightDecay: weightDecay)])
        self.adaptationSteps = adaptationSteps
        self.alpha = alpha
        self.loop = loop
        self.gradientClip = gradientClip
        self.plans = plans ?? ActivationPlans(config: decoder.config)
    }

    /// Runs one iteration. `supportBatches[i]` / `queryBatches[i]` are task i's S_i and Q_i;
    /// `step` (1-based) only labels errors. The decoder's adapter is restored afterwards.
    @discardableResult
    public func iterate(supportBatches: [TokenBatch], queryBatches: [TokenBatch], step: Int = 1) throws -> MetaIterationStats {
        let n = queryBatches.count
        precondition(n <= taskCopies.count && (adaptationSteps == 0 || supportBatches.count == n),
                     "MetaLoRAStep: \(n) tasks but \(taskCopies.count) copies / \(supportBatches.count) support batches")
        let saved = decoder.adapter
        decoder.adapter = taskAdapter
        defer { decoder.adapter = saved }
        var stats = MetaIterationStats()

        // Algorithm 1 line 8: θ_i ← θ.
        for copy in taskCopies.prefix(n) { copy.copyValues(from: theta) }

        // Stage I: k steps of plain SGD on each support set (Eq. 3).
        for s in stride(from: 1, through: adaptationSteps, by: 1) {
            let (loss, _) = try gradients(of: supportBatches, tasks: n, step: step, phase: "support")
            stats.supportLosses.append(loss)
            for (i, copy) in taskCopies.prefix(n).enumerated() {
                try checkFinite(copy, label: "task\(i).support_grad\(s)", step: step)
                for p in copy.namedParameters { SGD.step(param: p.value.data, grad: p.grad.data, count: p.value.count, lr: alpha) }
                observer.adaptationStep?(i, s, copy)
            }
            count(supportBatches, into: &stats)
        }

        // Stage II: query gradients at the adapted θ_i (Eq. 6) ...
        let (queryLoss, taskLosses) = try gradients(of: queryBatches, tasks: n, step: step, phase: "query")
        stats.queryLoss = queryLoss
        stats.taskQueryLosses = taskLosses
        count(queryBatches, into: &stats)
        for (i, copy) in taskCopies.prefix(n).enumerated() { observer.queryGradient?(i, copy) }

        // ... averaged over the n tasks (Eq. 5): θ.grad = (Σ_i g_i) / n.
        theta.zeroGradients()
        let thetaParameters = theta.namedParameters
        for copy in taskCopies.prefix(n) {
            for (mine, task) in zip(thetaParameters, copy.namedParameters) {
                Elementwise.accumulate(mine.grad.data, task.grad.data, count: mine.grad.count)
            }
        }
        for p in thetaParameters { Elementwise.scale(p.grad.data, by: 1 / Float(n), count: p.grad.count) }
        try checkFinite(theta, label: "meta_grad", step: step)
        if let clip = gradientClip { GradientClipping.clip(thetaParameters.map(\.grad), maxNorm: clip) }
        observer.metaGradient?(theta)

        // Meta-knowledge update with AdamW at rate β (Eq. 5).
        optimizer.step()
        try checkFinite(theta, label: "theta", step: step, values: true)
        return stats
    }

    /// Gradients of each task's loss on its own batch (`lossNormalization`), left in
    /// `taskCopies[i].grad*`. Returns the loss over all tasks' sets and each task's own.
    func gradients(of batches: [TokenBatch], tasks n: Int, step: Int, phase: String) throws -> (Double, [Double]) {
        for copy in taskCopies.prefix(n) { copy.zeroGradients() }
        if lossNormalization == .exampleMean { return try exampleMeanGradients(of: batches, tasks: n, step: step, phase: phase) }
        var sum = 0.0, count = 0
        var perTask: [Double] = []
        switch loop {
        case .sequential:
            for (_, own) in Self.ownRows(batches) {
                let result = try decoder.lossAndGradients(own, plans.activations(for: own, backward: true))
                sum += result.sumNLL; count += result.validCount
                perTask.append(result.meanNLL)
            }
        case .batched:
            // One pass for all tasks. The summed loss Σ_rows nll reaches copy i only through task
            // i's rows, so with gradScale 1 copy i holds Σ_{rows of i} ∇nll; dividing by task i's
            // labelled-token count gives ∇ of its own token-mean loss (Eq. 4 / 6).
            let combined = BatchAssembly.concatenate(batches)
            let result = try decoder.lossAndGradients(combined, plans.activations(for: combined, backward: true), gradScale: 1)
            sum = result.sumNLL; count = result.validCount
            let counts = BatchAssembly.scoredPositions(combined, groups: n)
            divideTaskGradients(by: counts, tasks: n)
            // Per-task losses are not separated by the single pass; report the shared token mean.
            perTask = [Double](repeating: count > 0 ? sum / Double(count) : 0, count: n)
        }
        guard count > 0 else { throw TrainingError.noAnswerTokens(step: step, phase: phase) }
        let loss = sum / Double(count)
        guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: step, phase: phase, loss: loss) }
        return (loss, perTask)
    }

    /// Eq. 4 / 6 as written: L_i = (1/|set_i|) Σ_examples (token mean of the example). Sequences
    /// weigh 1/(their scored positions) in the LM-head gradient; dividing copy i's gradient by its
    /// example count gives ∇L_i. Returns the mean over all examples and each task's L_i.
    func exampleMeanGradients(of batches: [TokenBatch], tasks n: Int, step: Int, phase: String) throws -> (Double, [Double]) {
        var weightedSum = 0.0, examples = 0
        var perTask: [Double] = []
        switch loop {
        case .sequential:
            for (i, own) in Self.ownRows(batches) {
                let (weights, counts) = BatchAssembly.exampleMeanWeights(own, groups: n)
                let m = counts[i]
                let result = try decoder.lossAndGradients(own, plans.activations(for: own, backward: true),
                                                          gradScale: m > 0 ? 1 / Float(m) : 0, sequenceWeights: weights)
                weightedSum += result.sumNLL; examples += m
                perTask.append(m > 0 ? result.sumNLL / Double(m) : 0)
            }
        case .batched:
            let combined = BatchAssembly.concatenate(batches)
            let (weights, counts) = BatchAssembly.exampleMeanWeights(combined, groups: n)
            let result = try decoder.lossAndGradients(combined, plans.activations(for: combined, backward: true),
                                                      gradScale: 1, sequenceWeights: weights)
            weightedSum = result.sumNLL; examples = counts.reduce(0, +)
            divideTaskGradients(by: counts, tasks: n)
            perTask = [Double](repeating: examples > 0 ? weightedSum / Double(examples) : 0, count: n)
        }
        let loss = examples > 0 ? weightedSum / Double(examples) : 0
        guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: step, phase: phase, loss: loss) }
        return (loss, perTask)
    }

    /// Each task's batch with every sequence routed to that task's adapter copy.
    static func ownRows(_ batches: [TokenBatch]) -> [(task: Int, batch: TokenBatch)] {
        batches.enumerated().map { i, batch in
            var own = batch
            own.sequenceGroups = [Int](repeating: i, count: batch.batch)
            return (i, own)
        }
    }

    /// Divides copy i's gradient by `counts[i]` (copies with a zero count are left as they are),
    /// turning the batched pass's per-task sums into per-task means.
    func divideTaskGradients(by counts: [Int], tasks n: Int) {
        for (i, copy) in taskCopies.prefix(n).enumerated() where counts[i] > 0 {
            for p in copy.namedParameters { Elementwise.scale(p.grad.data, by: 1 / Float(counts[i]), count: p.grad.count) }
        }
    }

    func count(_ batches: [TokenBatch], into stats: inout MetaIterationStats) {
        for b in batches { stats.samples += b.batch; stats.tokens += BatchAssembly.realTokens(b) }
    }

    func checkFinite(_ parameters: LoRAParameters, label: String, step: Int, values: Bool = false) throws {
        let tensors = parameters.namedParameters.map { (name: "\(label).\($0.name)", tensor: values ? $0.value : $0.grad) }
        if let bad = FiniteCheck.firstNonFinite(tensors) {
            throw TrainingError.nonFinite(step: step, tensor: bad.tensorName, value: bad.value)
        }
    }
}
