import Foundation
import Engine
import Models

/// Identifies one adapted projection.
public struct AdapterSite: Hashable, Comparable, Sendable {
    public let layer: Int
    public let projection: Projection
    public init(layer: Int, projection: Projection) { self.layer = layer; self.projection = projection }
    public static func < (a: AdapterSite, b: AdapterSite) -> Bool {
        (a.layer, Projection.allCases.firstIndex(of: a.projection)!) < (b.layer, Projection.allCases.firstIndex(of: b.projection)!)
    }
    /// Every `targets` projection of every layer of `model`, layer by layer (the order adapter
    /// parameters are created, named and saved in).
    public static func all(_ targets: [Projection], model: LlamaConfig) -> [AdapterSite] {
        (0..<model.layerCount).flatMap { l in targets.map { AdapterSite(layer: l, projection: $0) } }
    }
    /// The PEFT module name without the `base_model.model.` prefix: `model.layers.3.self_attn.q_proj`.
    public var moduleName: String { "model.layers.\(layer).\(projection.modulePath)" }
}

/// The rank and scale of one adapted site. PEFT lets both vary by module (`rank_pattern`,
/// `alpha_pattern`) and scales by α/√r under rsLoRA, so a loaded adapter carries them per site.
public struct LoRASiteShape: Equatable, Sendable {
    public let rank: Int
    public let scale: Float
    public init(rank: Int, scale: Float) { self.rank = rank; self.scale = scale }
}

/// One set of LoRA matrices θ = {A [r, in], B [out, r]} for every site, plus gradient buffers of
/// the same shapes. Parameter names are PEFT's (`model.layers.N.self_attn.q_proj.lora_A.weight`).
public final class LoRAParameters: @unchecked Sendable {
    public let config: LoRAConfig
    public let sites: [AdapterSite]
    public let shapes: [AdapterSite: LoRASiteShape]
    /// Layers of the model the parameters were made for (sites may cover only some of them).
    public let modelLayerCount: Int
    public private(set) var a: [AdapterSite: Tensor] = [:]
    public private(set) var b: [AdapterSite: Tensor] = [:]
    public private(set) var gradA: [AdapterSite: Tensor] = [:]
    public private(set) var gradB: [AdapterSite: Tensor] = [:]

    /// Zero-initialised A and B for every target of every layer of `model`, all of rank
    /// `config.rank` and scale `config.scale`.
    public convenience init(config: LoRAConfig, model: LlamaConfig) {
        let sites = AdapterSite.all(config.targets, model: model)
        self.init(config: config, model: model,
                  shapes: Dictionary(uniqueKeysWithValues: sites.map { ($0, LoRASiteShape(rank: config.rank, scale: config.scale)) }))
    }

    /// Zero-initialised A and B for the given sites only, each with its own rank and scale.
    public init(config: LoRAConfig, model: LlamaConfig, shapes: [AdapterSite: LoRASiteShape]) {
        self.config = config
        self.sites = shapes.keys.sorted()
        self.shapes = shapes
        self.modelLayerCount = model.layerCount
        for (s, shape) in shapes {
            let (out, inp) = s.projection.shape(model)
            a[s] = Tensor(shape: [shape.rank, inp]); b[s] = Tensor(shape: [out, shape.rank])
            gradA[s] = Tensor(shape: [shape.rank, inp]); gradB[s] = Tensor(shape: [out, shape.rank])
        }
    }

    public func rank(_ site: AdapterSite) -> Int { shapes[site]!.rank }
    public func scale(_ site: AdapterSite) -> Float { shapes[site]!.scale }
    /// The largest rank over the sites (scratch buffers are sized for it).
    public var maxRank: Int { shapes.values.map(\.rank).max() ?? 0 }

    /// PEFT's default initialisation: A ~ kaiming_uniform(a=√5), i.e. U(−1/√in, 1/√in); B = 0,
    /// so the adapted model starts equal to the base model.
    public func initialiseLikePEFT(rng: inout SplitMix64) {
        for s in sites {
            let t = a[s]!
            let bound = 1 / Double(t.shape[1]).squareRoot()
            for i in 0..<t.count { t.data[i] = Float((rng.nextUniform() * 2 - 1) * bound) }
            b[s]!.zero()
        }
    }

    /// (name, parameter, gradient) triples in a fixed order, for optimizers and checkpoints.
    public var namedParameters: [(name: String, value: Tensor, grad: Tensor)] {
        sites.flatMap { s in [
            (name: "\(s.moduleName).lora_A.weight", value: a[s]!, grad: gradA[s]!),
            (name: "\(s.moduleName).lora_B.weight", value: b[s]!, grad: gradB[s]!),
        ] }
    }

    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.value.count } }

    public func zeroGradients() { for (_, _, g) in namedParameters { g.zero() } }

    /// θ ← other (values only).
    public func copyValues(from other: LoRAParameters) {
        precondition(other.shapes == shapes, "copyValues: adapters have different sites")
        for (mine, theirs) in zip(namedParameters, other.namedParameters) { mine.value.copy(from: theirs.value) }
    }

    /// A new parameter set with the same values (gradients zero).
    public func clone(model: LlamaConfig) -> LoRAParameters {
        let copy = LoRAParameters(config: config, model: model, shapes: shapes)
        copy.copyValues(from: self)
        return copy
    }

    /// Values by PEFT name (without the `base_model.model.` prefix).
    public var tensorsByName: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.value) })
    }
    public var gradientsByName: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.grad) })
    }
}
