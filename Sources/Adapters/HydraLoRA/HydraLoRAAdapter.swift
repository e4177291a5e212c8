import Foundation
import Engine
import Models

/// HydraLoRA (Tian et al. 2024) and R-LoRA (Liu et al. 2025) as a `ProjectionAdapter`: on every
/// targeted projection `y += scale · Σ_i p_i(x) B_i (m_i ⊙ A x)` with a per-token router
/// (see `HydraLoRALayer`). The router is task-agnostic (HydraLoRA routes by token, not by task id),
/// so `layout.sequenceGroups` is not used.
///
/// R-LoRA adds multi-head dropout (`config.headDropout`, masks m_i drawn per head from
/// `dropoutSeed`) and random B heads; its initial output is removed exactly by `initial`, a frozen
/// copy of the initial A, B_i and W_r whose contribution is subtracted at run time (see `RLoRA.swift`).
public final class HydraLoRAAdapter: ProjectionAdapter, TrainableAdapter, @unchecked Sendable {
    public let parameters: HydraLoRAParameters
    /// R-LoRA only: frozen copy of the initial parameters; `y −= scale · Σ_i p⁰_i B⁰_i A⁰ x`.
    public let initial: HydraLoRAParameters?
    public var config: HydraLoRAConfig { parameters.config }
    /// Seeds this step's head-dropout masks (change it every step for fresh masks).
    public var dropoutSeed: UInt64 = 0
    let targetSet: Set<Projection>

    /// Per-site activations of the current batch.
    final class Saved {
        let probs: Tensor, xa: Tensor
        let masks: Tensor?
        var masksActive = false
        let initialProbs: Tensor?, initialXA: Tensor?
        init(rows n: Int, config c: HydraLoRAConfig, hasInitial: Bool) {
            probs = Tensor(shape: [n, c.heads]); xa = Tensor(shape: [n, c.rank])
            masks = c.headDropout > 0 ? Tensor(shape: [c.heads, n, c.rank]) : nil
            initialProbs = hasInitial ? Tensor(shape: [n, c.heads]) : nil
            initialXA = hasInitial ? Tensor(shape: [n, c.rank]) : nil
        }
    }
    var saved: [AdapterSite: Saved] = [:]
    var scratch: HydraLoRALayer.Scratch?
    /// Rows the saved activations and scratch can hold (grown on demand, reused otherwise).
    var capacity = -1

    public init(parameters: HydraLoRAParameters, initial: HydraLoRAParameters? = nil) {
        if let initial { precondition(initial.sites == parameters.sites && initial.config == parameters.config, "R-LoRA: initial copy differs in shape") }
        self.parameters = parameters; self.initial = initial
        self.targetSet = Set(parameters.config.targets)
    }

    /// HydraLoRA with `tasks` heads (HydraLoRA's `lora_nums` = number of training tasks), initialised
    /// as HydraLoRA does (A, W_r Kaiming-uniform; B_i = 0).
    public convenience init(model: LlamaConfig, tasks: Int, rank: Int = 8, alpha: Float = 16,
                            targets: [Projection] = [.q, .k, .v, .o], seed: UInt64) {
        let p = HydraLoRAParameters(config: HydraLoRAConfig(rank: rank, alpha: alpha, heads: tasks, targets: targets), model: model)
        var rng = SplitMix64(seed: seed)
        p.initialiseLikeHydraLoRA(rng: &rng)
        self.init(parameters: p)
    }

    public var kind: String { initial == nil ? "hydralora" : "rlora" }
    public var namedParameters: [(name: String, value: Tensor, grad: Tensor)] { parameters.namedParameters }
    public func zeroGradients() { parameters.zeroGradients() }

    public func targets(layer: Int, projection: Projection) -> Bool { targetSet.contains(projection) }

    public func prepare(layout: BatchLayout, training: Bool) {
        let n = layout.rows
        guard n > capacity else { return }
        capacity = n
        saved = Dictionary(uniqueKeysWithValues: parameters.sites.map { ($0, Saved(rows: n, config: config, hasInitial: initial != nil)) })
        scratch = HydraLoRALayer.Scratch(rows: n, rank: config.rank, heads: config.heads)
    }

    func shapes(_ site: AdapterSite, rows n: Int) -> HydraLoRALayer.Shapes {
        let inp = parameters.a[site]!.shape[1], out = parameters.heads[site]![0].shape[0]
        return HydraLoRALayer.Shapes(rows: n, inFeatures: inp, outFeatures: out, rank: config.rank, heads: config.heads)
    }

    /// Inverted-dropout masks [H, N, r] for one site, reproducible from `dropoutSeed` and the site.
    func fillMasks(_ masks: Tensor, site: AdapterSite, count: Int) {
        let siteIndex = UInt64(site.layer &* 131 &+ Projection.allCases.firstIndex(of: site.projection)!)
        var rng = SplitMix64(seed: dropoutSeed ^ (siteIndex &+ 1) &* 0x9E37_79B9_7F4A_7C15)
        let drop = Double(config.headDropout), keep = 1 / (1 - config.headDropout)
        for i in 0..<count { masks.data[i] = rng.nextUniform() < drop ? 0 : keep }
    }

    public func forward(layer: Int, projection: Projection, x: UnsafePointer<Float>, ldx: Int,
                        y: UnsafeMutablePointer<Float>, ldy: Int, layout: BatchLayout, training: Bool) {
        let site = AdapterSite(layer: layer, projection: projection)
        guard let st = saved[site], let scratch else { preconditionFailure("HydraLoRAAdapter: forward before prepare") }
        let s = shapes(site, rows: layout.rows)
        st.masksActive = training && st.masks != nil
        if st.masksActive { fillMasks(st.masks!, site: site, count: s.heads * s.rows * s.rank) }
        let p = parameters
        HydraLoRALayer.forward(s, x: x, ldx: ldx, a: p.a[site]!.data, heads: p.heads[site]!.map { UnsafePointer($0.data) },
                               router: p.router[site]!.data, scale: config.scale,
                               headMasks: st.masksActive ? UnsafePointer(st.masks!.data) : nil,
                               y: y, ldy: ldy, probs: st.probs.data, xa: st.xa.data, scratch: scratch)
        if let q = initial {
            HydraLoRALayer.forward(s, x: x, ldx: ldx, a: q.a[site]!.data, heads: q.heads[site]!.map { UnsafePointer($0.data) },
                                   router: q.router[site]!.data, scale: -config.scale, headMasks: nil,
                                   y: y, ldy: ldy, probs: st.initialProbs!.data, xa: st.initialXA!.data, scratch: scratch)
        }
    }

    public func backward(layer: Int, projection: Projection, x: UnsafePointer<Float>, ldx: Int,
                         dy: UnsafePointer<Float>, ldy: Int, dx: UnsafeMutablePointer<Float>, lddx: Int, layout: BatchLayout) {
        let site = AdapterSite(layer: layer, projection: projection)
        guard let st = saved[site], let scratch else { preconditionFailure("HydraLoRAAdapter: backward before forward") }
        let s = shapes(site, rows: layout.rows)
        let p = parameters
        HydraLoRALayer.backward(s, x: x, ldx: ldx, dy: dy, ldy: ldy, a: p.a[site]!.data,
                                heads: p.heads[site]!.map { UnsafePointer($0.data) }, router: p.router[site]!.data,
                                scale: config.scale, headMasks: st.masksActive ? UnsafePointer(st.masks!.data) : nil,
                                probs: st.probs.data, xa: st.xa.data, dx: dx, lddx: lddx,
                                dA: p.gradA[site]!.data, dHeads: p.gradHeads[site]!.map(\.data),
                                dRouter: p.gradRouter[site]!.data, scratch: scratch)
        if let q = initial {
            // The frozen initial copy only contributes to dx.
            HydraLoRALayer.backward(s, x: x, ldx: ldx, dy: dy, ldy: ldy, a: q.a[site]!.data,
                                    heads: q.heads[site]!.map { UnsafePointer($0.data) }, router: q.router[site]!.data,
                                    scale: -config.scale, headMasks: nil,
                                    probs: st.initialProbs!.data, xa: st.initialXA!.data, dx: dx, lddx: lddx,
                                    dA: nil, dHeads: nil, dRouter: nil, scratch: scratch)
        }
    }

    public func save(to folder: URL) throws { try MultiHeadFormat.save(self, to: folder) }
}
