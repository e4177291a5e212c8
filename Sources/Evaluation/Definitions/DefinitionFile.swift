import Foundation
import Yams

/// One benchmark definition file (`Benchmarks/*.yaml`), decoded into a `BenchmarkDefinition`.
///
/// Keys are snake_case, as in lm-eval task YAMLs. `include: OTHER.yaml` reads another file of the
/// same folder first and lays this one over it (mappings merge key by key, anything else is
/// replaced, `null` removes), so variants that share data and aggregation state only what differs.
/// Unknown keys are errors: a misspelt key would otherwise fall back to a default silently.
enum DefinitionFile {
    static func load(_ url: URL) throws -> BenchmarkDefinition {
        let node = try resolvedNode(url, including: [])
        do {
            let merged = try Yams.serialize(node: node)
            return try YAMLDecoder().decode(FileSchema.self, from: merged).definition()
        } catch let error as DecodingError {
            throw EvaluationError.invalidDefinition(file: url.path, reason: describe(error))
        } catch let error as DefinitionFieldError {
            throw EvaluationError.invalidDefinition(file: url.path, reason: error.message)
        }
    }

    /// The file's mapping with its `include` chain applied.
    static func resolvedNode(_ url: URL, including chain: [URL]) throws -> Node {
        if chain.contains(url) {
            throw EvaluationError.invalidDefinition(file: url.path, reason: "include cycle: \((chain + [url]).map(\.lastPathComponent).joined(separator: " → "))")
        }
        let text = try TextFile.read(url)
        let parsed: Node?
        do { parsed = try Yams.compose(yaml: text) } catch {
            throw EvaluationError.invalidDefinition(file: url.path, reason: "not valid YAML: \(error)")
        }
        guard case .mapping(var mapping)? = parsed else {
            throw EvaluationError.invalidDefinition(file: url.path, reason: "expected a mapping of definition keys at the top level")
        }
        guard let include = mapping["include"] else { return .mapping(mapping) }
        guard let name = include.string else {
            throw EvaluationError.invalidDefinition(file: url.path, reason: "include: expected a file name")
        }
        mapping["include"] = nil
        let base = try resolvedNode(url.deletingLastPathComponent().appendingPathComponent(name), including: chain + [url])
        return merge(base, over: .mapping(mapping))
    }

    /// `top` laid over `base`: mappings key by key, any other value replaced; a null removes the key.
    static func merge(_ base: Node, over top: Node) -> Node {
        guard case .mapping(let b) = base, case .mapping(let t) = top else { return top }
        var pairs: [(Node, Node)] = []
        var seen = Set<String>()
        for (key, value) in b {
            let k = key.string ?? ""
            seen.insert(k)
            if let override = t.first(where: { $0.key.string == k })?.value {
                if !isNull(override) { pairs.append((key, merge(value, over: override))) }
            } else {
                pairs.append((key, value))
            }
        }
        for (key, value) in t where !seen.contains(key.string ?? "") && !isNull(value) { pairs.append((key, value)) }
        return .mapping(Node.Mapping(pairs))
    }

    /// A plain `null`/`~`; a quoted "" is an empty string (BBH CoT's target delimiter).
    static func isNull(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node { return scalar.style == .plain && NSNull.construct(from: scalar) != nil }
        return false
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return "field \(field) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let field = path(context.codingPath)
            return (field.isEmpty ? "" : "field \(field): ") + context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }
}

struct DefinitionFieldError: Error {
    let message: String

    /// `value` at `field` is none of the `valid` spellings.
    static func unknown(_ noun: String, _ value: String, field: String, valid: [String]) -> Self {
        Self(message: "field \(field): unknown \(noun) '\(value)'; valid: \(valid.joined(separator: ", "))")
    }
}

/// Any string key, for listing the keys a mapping holds.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Throws when `decoder`'s mapping holds a key `Keys` does not name.
/// The keyed container of `decoder`, after refusing any key `Keys` does not list.
func strictContainer<Keys: CodingKey & CaseIterable>(_ decoder: Decoder, keyedBy _: Keys.Type) throws -> KeyedDecodingContainer<Keys> {
    try rejectUnknownKeys(decoder, Keys.self)
    return try decoder.container(keyedBy: Keys.self)
}

func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: Decoder, _: Keys.Type) throws {
    let present = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
    let known = Set(Keys.allCases.map(\.stringValue))
    if let unknown = present.first(where: { !known.contains($0) }) {
        let field = (decoder.codingPath.map(\.stringValue) + [unknown]).joined(separator: ".")
        // A DecodingError: the YAML decoder reports any other error as "not valid YAML".
        throw DecodingError.dataCorrupted(.init(codingPath: [],
            debugDescription: "unknown key '\(field)'; valid keys here: \(Keys.allCases.map(\.stringValue).joined(separator: ", "))"))
    }
}

/// The file's keys; `definition()` expands the subset patterns and checks what the types cannot.
struct FileSchema: Decodable {
    var name: String
    var variant: String?
    var version: String
    var summary: String
    var source: String?
    var chance: Double
    var chanceRationale: String
    var format: DataFormat
    var split: String
    var subsets: SubsetList
    var fewShot: FewShot
    var template: PromptTemplate
    var targetDelimiter: String
    var fewshotDelimiter: String
    var choices: Choices
    var scoring: Scoring
    var answerExtraction: AnswerExtraction
    var metrics: [Metric]
    var aggregation: AggregationSpec
    var knownGaps: [KnownGap]?
    var requiredData: [RequiredData]?
    var notes: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, variant, version, summary, source, chance, format, split, subsets, template, choices, scoring, metrics, aggregation, notes
        case chanceRationale = "chance_rationale", fewShot = "few_shot", targetDelimiter = "target_delimiter"
        case fewshotDelimiter = "fewshot_delimiter", answerExtraction = "answer_extraction", knownGaps = "known_gaps"
        case requiredData = "required_data"
    }

    init(from decoder: Decoder) throws {
        let c = try strictContainer(decoder, keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        variant = try c.decodeIfPresent(String.self, forKey: .variant)
        version = try c.decode(String.self, forKey: .version)
        summary = try c.decode(String.self, forKey: .summary)
        source = try c.decodeIfPresent(String.self, forKey: .source)
        chance = try c.decode(Double.self, forKey: .chance)
        chanceRationale = try c.decode(String.self, forKey: .chanceRationale)
        format = try c.decode(DataFormat.self, forKey: .format)
        split = try c.decode(String.self, forKey: .split)
        subsets = try c.decode(SubsetList.self, forKey: .subsets)
        fewShot = try c.decode(FewShot.self, forKey: .fewShot)
        template = try c.decode(PromptTemplate.self, forKey: .template)
        targetDelimiter = try c.decode(String.self, forKey: .targetDelimiter)
        fewshotDelimiter = try c.decode(String.self, forKey: .fewshotDelimiter)
        choices = try c.decode(Choices.self, forKey: .choices)
        scoring = try c.decode(Scoring.self, forKey: .scoring)
        answerExtraction = try c.decode(AnswerExtraction.self, forKey: .answerExtraction)
        metrics = try c.decode([Metric].self, forKey: .metrics)
        aggregation = try c.decode(AggregationSpec.self, forKey: .aggregation)
        knownGaps = try c.decodeIfPresent([KnownGap].self, forKey: .knownGaps)
        requiredData = try c.decodeIfPresent([RequiredData].self, forKey: .requiredData)
        notes = try c.decodeIfPresent([String].self, forKey: .notes)
    }

    func definition() throws -> BenchmarkDefinition {
        guard (0...1).contains(chance) else { throw DefinitionFieldError(message: "field chance: \(chance) is not a fraction in [0, 1]") }
        if metrics.isEmpty { throw DefinitionFieldError(message: "field metrics: name at least one metric") }
        let expanded = try subsets.expand()
        let gapSubsets = Set(expanded.map(\.name))
        for gap in knownGaps ?? [] where gap.subset.map({ !gapSubsets.contains($0) }) ?? false {
            throw DefinitionFieldError(message: "field known_gaps: no subset '\(gap.subset!)'")
        }
        return BenchmarkDefinition(
            name: name, variant: variant, version: version, summary: summary, source: source,
            chance: chance, chanceRationale: chanceRationale,
            format: format, split: split, subsets: expanded,
            fewShot: FewShotSpec(source: fewShot.source, defaultCount: fewShot.count, selection: fewShot.selection),
            template: template, targetDelimiter: targetDelimiter, fewshotDelimiter: fewshotDelimiter,
            choices: try choices.spec(), scoring: try scoring.scoringRule(), answerExtraction: answerExtraction,
            metrics: metrics, aggregation: aggregation, knownGaps: knownGaps ?? [],
            requiredData: requiredData ?? [], notes: notes ?? [])
    }

    /// `names` (or `entries` with per-subset fields) plus path patterns in which `{name}` stands for the subset.
    struct SubsetList: Decodable {
        struct Entry: Decodable {
            var name: String
            var path: String?
            var fewShotPath: String?
            var rowFilter: String?
            var parameters: [String: String]?
            enum CodingKeys: String, CodingKey, CaseIterable {
                case name, path, parameters
                case fewShotPath = "few_shot_path", rowFilter = "row_filter"
            }
            init(from decoder: Decoder) throws {
                let c = try strictContainer(decoder, keyedBy: CodingKeys.self)
                name = try c.decode(String.self, forKey: .name)
                path = try c.decodeIfPresent(String.self, forKey: .path)
                fewShotPath = try c.decodeIfPresent(String.self, forKey: .fewShotPath)
                rowFilter = try c.decodeIfPresent(String.self, forKey: .rowFilter)
                parameters = try c.decodeIfPresent([String: String].self, forKey: .parameters)
            }
        }
        var names: [String]?
        var entries: [Entry]?
        var path: String?
        var fewShotPath: String?
        var rowFilter: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case names, entries, path
            case fewShotPath = "few_shot_path", rowFilter = "row_filter"
        }

        init(from decoder: Decoder) throws {
            let c = try strictContainer(decoder, keyedBy: CodingKeys.self)
            names = try c.decodeIfPresent([String].self, forKey: .names)
            entries = try c.decodeIfPresent([Entry].self, forKey: .entries)
            path = try c.decodeIfPresent(String.self, forKey: .path)
            fewShotPath = try c.decodeIfPresent(String.self, forKey: .fewShotPath)
            rowFilter = try c.decodeIfPresent(String.self, forKey: .rowFilter)
        }

        func expand() throws -> [SubsetSource] {
            if names != nil && entries != nil { throw DefinitionFieldError(message: "field subsets: give names or entries, not both") }
            let list = entries ?? (names ?? []).map { Entry(name: $0) }
            if list.isEmpty { throw DefinitionFieldError(message: "field subsets: no subsets (give names or entries)") }
            var seen = Set<String>()
            return try list.map { e in
                guard seen.insert(e.name).inserted else { throw DefinitionFieldError(message: "field subsets: '\(e.name)' is listed twice") }
                func fill(_ pattern: String?) -> String? { pattern?.replacingOccurrences(of: "{name}", with: e.name) }
                guard let p = e.path ?? fill(path) else {
                    throw DefinitionFieldError(message: "field subsets: '\(e.name)' has no path (give subsets.path with {name}, or a path per entry)")
                }
                return SubsetSource(name: e.name, path: p, fewShotPath: e.fewShotPath ?? fill(fewShotPath),
                                    rowFilter: e.rowFilter ?? fill(rowFilter), parameters: e.parameters ?? [:])
            }
        }
    }

    struct FewShot: Decodable {
        var source: FewShotSpec.Source
        var count: Int
        var selection: String
        enum CodingKeys: String, CodingKey, CaseIterable { case source, count, selection }
        init(from decoder: Decoder) throws {
            let c = try strictContainer(decoder, keyedBy: CodingKeys.self)
            source = try c.decode(FewShotSpec.Source.self, forKey: .source)
            count = try c.decode(Int.self, forKey: .count)
            selection = try c.decode(String.self, forKey: .selection)
            if count < 0 {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "few_shot.count must not be negative (got \(count))"))
            }
        }
    }

    /// `{kind: letters, letters: [...]}`, `{kind: item_choices, lowercase_first_character: B}`,
    /// `{kind: context_options}` or `{kind: generated}`.
    struct Choices: Decodable {
        var kind: String
        var letters: [String]?
        var lowercaseFirstCharacter: Bool?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case kind, letters
            case lowercaseFirstCharacter = "lowercase_first_character"
        }
        static let kinds = ["letters", "item_choices", "context_options", "generated"]
        init(from decoder: Decoder) throws {
            let c = try strictContainer(decoder, keyedBy: CodingKeys.self)
            kind = try c.decode(String.self, forKey: .kind)
            letters = try c.decodeIfPresent([String].self, forKey: .letters)
            lowercaseFirstCharacter = try c.decodeIfPresent(Bool.self, forKey: .lowercaseFirstCharacter)
        }
        func spec() throws -> ChoiceSpec {
            switch kind {
            case "letters":
                guard let letters, !letters.isEmpty else { throw DefinitionFieldError(message: "field choices.letters: kind letters needs the answer strings") }
                return .letters(letters)
            case "item_choices": return .itemChoices(lowercaseFirstCharacter: lowercaseFirstCharacter ?? false)
            case "context_options": return .contextOptions
            case "generated": return .generated
            default: throw DefinitionFieldError.unknown("kind", kind, field: "choices.kind", valid: Self.kinds)
            }
        }
    }

    /// `{rule: loglikelihood}`, `{rule: partial_loglikelihood}` or
    /// `{rule: generate_until, until: [...], max_new_tokens: N}` (lm-eval `output_type` and `generation_kwargs`).
    struct Scoring: Decodable {
        var rule: String
        var until: [String]?
        var maxNewTokens: Int?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case rule, until
            case maxNewTokens = "max_new_tokens"
        }
        static let rules = ["loglikelihood", "partial_loglikelihood", "generate_until"]
        init(from decoder: Decoder) throws {
            let c = try strictContainer(decoder, keyedBy: CodingKeys.self)
            rule = try c.decode(String.self, forKey: .rule)
            until = try c.decodeIfPresent([String].self, forKey: .until)
            maxNewTokens = try c.decodeIfPresent(Int.self, forKey: .maxNewTokens)
        }
        func scoringRule() throws -> ScoringRule {
            switch rule {
            case "loglikelihood": return .loglikelihood
            case "partial_loglikelihood": return .partialLoglikelihood
            case "generate_until":
                guard let n = maxNewTokens, n > 0 else {
                    throw DefinitionFieldError(message: "field scoring.max_new_tokens: generate_until needs a positive token budget")
                }
                return .generateUntil(stopSequences: until ?? [], maxNewTokens: n)
            default: throw DefinitionFieldError.unknown("rule", rule, field: "scoring.rule", valid: Self.rules)
            }
        }
    }
}

extension FileSchema.SubsetList.Entry {
    init(name: String) { self.name = name }
}
