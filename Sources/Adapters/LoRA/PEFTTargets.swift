import Foundation
import Models

/// PEFT's rules for which modules of a LLaMA model a LoRA config adapts, and with what rank and
/// scale, as PEFT 0.21 applies them when it loads an adapter:
/// - `target_modules` as a list: a module is targeted when its name equals an entry or ends with
///   `.entry`; as a string: when the string, a Python regex, matches the whole name
///   (`re.fullmatch`); `"all-linear"`: every linear layer except the output head
///   (tuners_utils.check_target_module_exists, _maybe_include_all_linear_layers).
/// - `exclude_modules` (list or regex, the same way) removes modules.
/// - `layers_to_transform` (int or list; list targets only) keeps the layer indices given, read
///   from the name by `.*?\.[^.]*\.(\d+)\.`, or by `(?:^|.*?\.)P\.(\d+)\.` for each `layers_pattern` P.
/// - `rank_pattern` / `alpha_pattern`: the first key K for which `(.*\.)?(K)$` matches the
///   module name overrides `r` / `lora_alpha` (utils.other.get_pattern_key).
/// - scale = α/r, or α/√r with `use_rslora` (lora.layer.LoraLayer.update_layer).
/// A matched module that is not one of the seven projections (the LM head, the embeddings, a
/// norm, a whole block) is refused by name, as is a config that matches nothing.
public struct PEFTTargets {
    public enum Modules: Equatable {
        case names([String])
        case regex(String)
        case allLinear
    }

    public var modules: Modules
    public var exclude: Modules?
    public var layersToTransform: [Int]?
    public var layersPattern: [String]?
    public var rank: Int
    public var alpha: Float
    public var useRSLoRA: Bool
    /// Pattern keys with their values, in file order when known.
    public var rankPattern: [(key: String, value: Int)]
    public var alphaPattern: [(key: String, value: Float)]

    public init(modules: Modules, exclude: Modules?, layersToTransform: [Int]?, layersPattern: [String]?, rank: Int, alpha: Float,
                useRSLoRA: Bool, rankPattern: [(key: String, value: Int)], alphaPattern: [(key: String, value: Float)]) {
        self.modules = modules; self.exclude = exclude; self.layersToTransform = layersToTransform
        self.layersPattern = layersPattern; self.rank = rank; self.alpha = alpha; self.useRSLoRA = useRSLoRA
        self.rankPattern = rankPattern; self.alphaPattern = alphaPattern
    }

    /// The PEFT module names of a LlamaForCausalLM (`named_modules()` without the root), which
    /// every target rule is matched against.
    public static func moduleNames(_ model: LlamaConfig) -> [String] {
        var names = ["model", "model.embed_tokens", "model.layers"]
        for l in 0..<model.layerCount {
            let p = "model.layers.\(l)"
            names += [p, "\(p).self_attn"] + [Projection.q, .k, .v, .o].map { "\(p).\($0.modulePath)" }
            names += ["\(p).mlp"] + [Projection.gate, .up, .down].map { "\(p).\($0.modulePath)" }
            names += ["\(p).mlp.act_fn", "\(p).input_layernorm", "\(p).post_attention_layernorm"]
        }
        return names + ["model.norm", "model.rotary_emb", "lm_head"]
    }

    /// The projection a module name denotes, with its layer (nil for any other module).
    static func site(_ name: String) -> AdapterSite? {
        let parts = name.split(separator: ".")
        guard parts.count == 5, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]),
              let p = Projection(rawValue: String(parts[4])), p.modulePath == "\(parts[3]).\(parts[4])" else { return nil }
        return AdapterSite(layer: layer, projection: p)
    }

    /// Each adapted site with its rank and scale; `file` names the config in errors.
    public func resolve(model: LlamaConfig, file: String) throws -> [AdapterSite: LoRASiteShape] {
        let targetRegex: NSRegularExpression?
        if case .regex(let p) = modules { targetRegex = try Self.compile(p, file: file, field: "target_modules") } else { targetRegex = nil }
        var excludeRegex: NSRegularExpression?
        if case .regex(let p)? = exclude { excludeRegex = try Self.compile(p, file: file, field: "exclude_modules") }
        let layerRegexes: [NSRegularExpression] = try (layersPattern.flatMap { $0.isEmpty ? nil : $0 } ?? [#"[^.]*"#]).map {
            try Self.compile(#"(?:^|.*?\.)"# + $0 + #"\.(\d+)\."#, file: file, field: "layers_pattern", whole: false)
        }
        let rankRegexes = try rankPattern.map { (try Self.compile(#"(.*\.)?("# + $0.key + ")", file: file, field: "rank_pattern"), $0) }
        let alphaRegexes = try alphaPattern.map { (try Self.compile(#"(.*\.)?("# + $0.key + ")", file: file, field: "alpha_pattern"), $0) }

        var shapes: [AdapterSite: LoRASiteShape] = [:]
        for name in Self.moduleNames(model) {
            if let exclude, Self.matches(exclude, excludeRegex, name) { continue }
            var found: Bool
            switch modules {
            case .allLinear: found = Self.site(name) != nil
            case .regex: found = Self.fullMatch(targetRegex!, name)
            case .names(let list):
                found = list.contains { name == $0 || name.hasSuffix("." + $0) }
                if found, let layers = layersToTransform {
                    let index = layerRegexes.lazy.compactMap { Self.firstGroup($0, name) }.first.flatMap { Int($0) }
                    found = index.map(layers.contains) ?? false
                }
            }
            guard found else { continue }
            guard let site = Self.site(name) else {
                throw AdapterError.unsupportedOption(file: file, option: "target_modules",
                    value: "matches '\(name)', which is not one of the LLaMA projections (\(Projection.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let r = try Self.patternValue(rankRegexes, name, file: file, field: "rank_pattern") ?? rank
            let a = try Self.patternValue(alphaRegexes, name, file: file, field: "alpha_pattern") ?? alpha
            guard r > 0 else { throw AdapterError.invalid(file: file, reason: "rank_pattern gives '\(name)' rank \(r)") }
            shapes[site] = LoRASiteShape(rank: r, scale: useRSLoRA ? a / Float(r).squareRoot() : a / Float(r))
        }
        guard !shapes.isEmpty else {
            throw AdapterError.invalid(file: file, reason: "target_modules \(modules) matches no projection of this \(model.layerCount)-layer model")
        }
        return shapes
    }

    static func matches(_ rule: Modules, _ regex: NSRegularExpression?, _ name: String) -> Bool {
        switch rule {
        case .allLinear: return site(name) != nil
        case .regex: return fullMatch(regex!, name)
        case .names(let list): return list.contains { name == $0 || name.hasSuffix("." + $0) }
        }
    }

    /// The value of the first matching pattern key. Our JSON reader loses the file's key order,
    /// so when several keys match with different values the adapter is refused rather than guessed.
    static func patternValue<V: Equatable>(_ patterns: [(NSRegularExpression, (key: String, value: V))], _ name: String,
                                           file: String, field: String) throws -> V? {
        let hits = patterns.filter { fullMatch($0.0, name) }.map(\.1)
        guard let first = hits.first else { return nil }
        if hits.contains(where: { $0.value != first.value }) {
            throw AdapterError.unsupportedOption(file: file, option: field,
                value: "keys \(hits.map(\.key)) all match '\(name)' with different values; PEFT takes the first in file order")
        }
        return first.value
    }

    /// Compiles a Python `re` pattern with ICU. `whole`: the match must span the name (fullmatch);
    /// otherwise it is anchored at the start only (re.match).
    static func compile(_ pattern: String, file: String, field: String, whole: Bool = true) throws -> NSRegularExpression {
        let icu = pattern.replacingOccurrences(of: "(?P<", with: "(?<")
        do { return try NSRegularExpression(pattern: whole ? "\\A(?:" + icu + ")\\z" : "\\A(?:" + icu + ")") } catch {
            throw AdapterError.invalid(file: file, reason: "\(field) '\(pattern)' is not a regular expression we can read")
        }
    }

    static func fullMatch(_ regex: NSRegularExpression, _ name: String) -> Bool {
        regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }

    static func firstGroup(_ regex: NSRegularExpression, _ name: String) -> String? {
        guard let m = regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)), m.numberOfRanges > 1,
              let r = Range(m.range(at: m.numberOfRanges - 1), in: name) else { return nil }
        return String(name[r])
    }
}
