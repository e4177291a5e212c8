import Engine
import Models

/// LoRA as a `ProjectionAdapter`: `y += s · B (A x̃)` with x̃ = dropout(x) in training and s the
/// site's scale (α/r, or α/√r under rsLoRA).
///
/// Holds one or more *copies* of the parameters. Sequence b of a batch uses copy
/// `layout.sequenceGroups[b]`, so the n tasks of a MeTA-LoRA iteration — each with its own
/// adapted θ_i — run through the frozen base in one batch (one sgemm per projection for all tasks,
/// as multi-adapter trainers do), while each row segment gets its own A and B.
public final class LoRAAdapter: ProjectionAdapter, @unchecked Sendable {
    public private(set) var copies: [LoRAParameters]
    public let config: LoRAConfig
    let targetSet: Set<AdapterSite>
    /// Saved x̃ A^T per site, [N, r], for the backward pass.
    var savedXA: [AdapterSite: Tensor] = [:]
    var dxaScratch: Tensor?
    var maskScratch: Tensor?
    var droppedScratch: Tensor?
    var rows = 0
    /// Seeds this step's dropout masks; backward regenerates the same masks from it.
    public var dropoutSeed: UInt64 = 0

    public convenience init(_ parameters: LoRAParameters) { self.init(copies: [parameters]) }

    public init(copies: [LoRAParameters]) {
        precondition(!copies.isEmpty, "LoRAAdapter needs at least one parameter set")
        self.copies = copies
        self.config = copies[0].config
        self.targetSet = Set(copies[0].sites)
    }

    public func setCopies(_ newCopies: [LoRAParameters]) {
        precondition(!newCopies.isEmpty && newCopies.allSatisfy { $0.shapes == copies[0].shapes }, "setCopies: incompatible adapters")
        copies = newCopies
    }

    public func targets(layer: Int, projection: Projection) -> Bool {
        targetSet.contains(AdapterSite(layer: layer, projection: projection))
    }

    public func prepare(layout: BatchLayout, training: Bool) {
        for g in layout.sequenceGroups { precondition(g >= 0 && g < copies.count, "sequence group \(g) has no adapter copy (\(copies.count) copies)") }
        let n = layout.rows
        if n != rows {
            rows = n
            savedXA = Dictionary(uniqueKeysWithValues: copies[0].sites.map { ($0, Tensor(shape: [n, copies[0].rank($0)])) })
            dxaScratch = Tensor(shape: [n, copies[0].maxRank])
            if config.dropout > 0 {
                let widest = copies[0].sites.map { copies[0].a[$0]!.shape[1] }.max() ?? 0
                maskScratch = Tensor(shape: [n, widest]); droppedScratch = Tensor(shape: [n, widest])
            }
        }
    }

    /// Runs of consecutive sequences sharing a copy, as row ranges.
    func segments(_ layout: BatchLayout) -> [(copy: Int, rows: Range<Int>)] {
        var out: [(Int, Range<Int>)] = []
        var start = 0
        for b in 1...layout.batch where b == layout.batch || layout.sequenceGroups[b] != layout.sequenceGroups[start] {
            out.append((layout.sequenceGroups[start], (start * layout.seqLen)..<(b * layout.seqLen)))
            start = b
        }
        return out
    }

    /// One site's saved x̃ A^T and its rank, scale and widths (the same for every copy).
    func geometry(layer: Int, projection: Projection)
        -> (site: AdapterSite, xa: Tensor, rank: Int, scale: Float, inFeatures: Int, outFeatures: Int) {
        let site = AdapterSite(layer: layer, projection: projection)
        let first = copies[0]
        return (site, savedXA[site]!, first.rank(site), first.scale(site), first.a[site]!.shape[1], first.b[site]!.shape[0])
    }

    /// Inverted-dropout mask (keep/(1-p)) for one site, reproducible from `dropoutSeed`.
    func dropoutMask(_ site: AdapterSite, rows n: Int, width: Int) -> UnsafeMutablePointer<Float>? {
        guard config.dropout > 0, let mask = maskScratch else { return nil }
        var rng = SplitMix64(seed: dropoutSeed ^ UInt64(site.layer &* 131 &+ Projection.allCases.firstIndex(of: site.projection)!) &* 0x9E37_79B9)
        let keep = 1 / (1 - config.dropout)
        for i in 0..<(n * width) { mask.data[i] = rng.nextUniform() < Double(config.dropout) ? 0 : keep }
        return mask.data
    }

    public func forward(layer: Int, projection: Projection, x: UnsafePointer<Float>, ldx: Int,
                        y: UnsafeMutablePointer<Float>, ldy: Int, layout: BatchLayout, training: Bool) {
        let (site, xa, r, scale, inp, out) = geometry(layer: layer, projection: projection)
        let mask = training ? dropoutMask(site, rows: layout.rows, width: inp) : nil
        for (copy, range) in segments(layout) {
            let p = copies[copy]
            LoRA.forward(y: y + range.lowerBound * ldy, xa: xa.data + range.lowerBound * r, x: x + range.lowerBound * ldx,
                         a: p.a[site]!.data, b: p.b[site]!.data, rows: range.count, inFeatures: inp, outFeatures: out,
                         rank: r, scale: scale,
                         dropoutMask: mask.map { UnsafePointer($0 + range.lowerBound * inp) },
                         droppedInput: mask == nil ? nil : droppedScratch!.data,
                         ldx: ldx, ldy: ldy)
        }
        lastForwardUsedDropout = mask != nil
    }
    var lastForwardUsedDropout = false

    public func backward(layer: Int, projection: Projection, x: UnsafePointer<Float>, ldx: Int,
                         dy: UnsafePointer<Float>, ldy: Int, dx: UnsafeMutablePointer<Float>, lddx: Int, layout: BatchLayout) {
        let (site, xa, r, scale, inp, out) = geometry(layer: layer, projection: projection)
        let mask = lastForwardUsedDropout ? dropoutMask(site, rows: layout.rows, width: inp) : nil
        for (copy, range) in segments(layout) {
            let p = copies[copy]
            LoRA.backward(dx: dx + range.lowerBound * lddx, da: p.gradA[site]!.data, db: p.gradB[site]!.data,
                          dxa: dxaScratch!.data, dy: dy + range.lowerBound * ldy, x: x + range.lowerBound * ldx,
                          xa: xa.data + range.lowerBound * r, a: p.a[site]!.data, b: p.b[site]!.data,
                          rows: range.count, inFeatures: inp, outFeatures: out, rank: r, scale: scale,
                          dropoutMask: mask.map { UnsafePointer($0 + range.lowerBound * inp) },
                          droppedInput: mask == nil ? nil : droppedScratch!.data,
                          ldx: ldx, lddy: ldy, lddx: lddx)
        }
    }
}
