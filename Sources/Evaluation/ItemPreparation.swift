import struct Data.DataDirectory
/// Loads a definition's data and turns it into `PreparedItem`s, applying subset selection, the
/// few-shot count and `--limit`, without touching a model.
public struct PreparedBenchmark: Sendable {
    public var subsets: [String]
    public var items: [String: [PreparedItem]]
    public var shots: Int
    public var skippedRows: [SkippedRow]
    public var totalItems: Int { items.values.reduce(0) { $0 + $1.count } }
}

public enum ItemPreparation {
    public static func prepare(_ def: BenchmarkDefinition, options: EvaluationOptions) throws -> PreparedBenchmark {
        let missing = def.missingData(in: options.dataDirectory)
        if !missing.isEmpty {
            throw EvaluationError.missingRequiredData(benchmark: def.label, dataDirectory: options.dataDirectory.root.path, missing: missing)
        }
        let selected = try selectSubsets(def, options.subsets)
        if let limit = options.limit, limit < 1 { throw EvaluationError.invalidOption("--limit must be at least 1 (got \(limit))") }
        let shots = options.shots ?? def.fewShot.defaultCount
        if shots < 0 { throw EvaluationError.invalidOption("--shots must not be negative (got \(shots))") }
        if def.fewShot.source == .none && shots != 0 { throw EvaluationError.fewShotUnsupported(benchmark: def.name, requested: shots) }
        var items: [String: [PreparedItem]] = [:]
        var skipped: [SkippedRow] = []
        var cache = SharedFileCache()
        for source in selected {
            items[source.name] = try build(def, source, shots: shots, limit: options.limit ?? Int.max,
                                           data: options.dataDirectory, skipped: &skipped, cache: &cache,
                                           suppliedItems: options.suppliedItems)
        }
        return PreparedBenchmark(subsets: selected.map(\.name), items: items, shots: shots, skippedRows: skipped)
    }

    static func selectSubsets(_ def: BenchmarkDefinition, _ names: [String]?) throws -> [SubsetSource] {
        guard let names else { return def.subsets }
        if names.isEmpty { throw EvaluationError.invalidOption("--subsets is empty") }
        for n in names where def.subset(named: n) == nil {
            throw EvaluationError.unknownSubset(benchmark: def.name, subset: n, valid: def.subsets.map(\.name))
        }
        return def.subsets.filter { names.contains($0.name) }
    }

    static func firstShots<T>(_ pool: [T], _ k: Int, _ def: BenchmarkDefinition, _ subset: String, _ source: String) throws -> [T] {
        guard k <= pool.count else {
            throw EvaluationError.tooManyShots(benchmark: def.name, subset: subset, requested: k, available: pool.count, source: source)
        }
        return Array(pool.prefix(k))
    }

    /// The subset's items; `limit` keeps the first N scored rows in file order (lm-eval `--limit`),
    /// applied before prompt construction so quick profiles stay quick.
    static func build(_ def: BenchmarkDefinition, _ source: SubsetSource, shots: Int, limit: Int, data: DataDirectory,
                      skipped: inout [SkippedRow], cache: inout SharedFileCache,
                      suppliedItems: [String: [PreparedItem]]? = nil) throws -> [PreparedItem] {
        let name = source.name
        let delimiter = def.targetDelimiter
        switch def.template {
        case .mmlu:
            guard let fewShotPath = source.fewShotPath else { throw EvaluationError.invalidOption("\(def.name)/\(name): no few-shot file") }
            let pool = shots > 0 ? try MMLULoader.load(fewShotPath, in: data) : []
            let shotRows = try firstShots(pool, shots, def, name, fewShotPath)
            return try MMLULoader.load(source.path, in: data).prefix(limit).enumerated().map { i, row in
                MMLUPrompt.item(subject: name, shots: shotRows, row: row, docId: i, targetDelimiter: delimiter, fewshotDelimiter: def.fewshotDelimiter)
            }

        case .bbhFewshot, .bbhCoT, .openCompassBBH:
            guard let promptPath = source.fewShotPath else { throw EvaluationError.invalidOption("\(def.name)/\(name): no cot-prompt file") }
            let prompt = try BBHLoader.loadPrompt(promptPath, in: data)
            _ = try firstShots(prompt.exemplars, shots, def, name, promptPath)
            return try BBHLoader.loadTask(source.path, in: data).prefix(limit).map { ex in
                let text: String
                switch def.template {
                case .bbhCoT: text = BBHPrompt.chainOfThought(prompt: prompt, shots: shots, input: ex.input)
                case .openCompassBBH: text = BBHPrompt.openCompass(prompt: prompt, shots: shots, input: ex.input)
                default: text = BBHPrompt.direct(prompt: prompt, shots: shots, input: ex.input)
                }
                return PreparedItem(promptId: "\(name)/\(ex.index)", subset: name, task: .generation(prompt: text, target: ex.target),
                                    docId: ex.index, doc: BBHPrompt.doc(ex))
            }

        case .instructEvalBBH:
            let examples = try BBHLoader.loadTask(source.path, in: data)
            guard shots < examples.count else {
                throw EvaluationError.tooManyShots(benchmark: def.name, subset: name, requested: shots,
                                                   available: max(0, examples.count - 1), source: "\(source.path) (one item must remain to score)")
            }
            let shotRows = Array(examples.prefix(shots))
            return examples.dropFirst(shots).prefix(limit).map { ex in
                PreparedItem(promptId: "\(name)/\(ex.index)", subset: name,
                             task: .generation(prompt: BBHPrompt.instructEval(shots: shotRows, input: ex.input), target: ex.target),
                             docId: ex.index, doc: BBHPrompt.doc(ex))
            }

        case .rloraDataBBH:
            if shots != def.fewShot.defaultCount {
                throw EvaluationError.invalidOption("\(def.label): the \(def.fewShot.defaultCount) shots are part of each item's context in \(source.path); --shots \(shots) cannot change them")
            }
            return try BBHLoader.loadLoRAHubTask(source.path, in: data).prefix(limit).map { ex in
                PreparedItem(promptId: "\(name)/\(ex.index)", subset: name,
                             task: .generation(prompt: BBHPrompt.rlora(context: ex.context), target: BBHPrompt.rloraTarget(completion: ex.completion)),
                             docId: ex.index, doc: .object([("context", .string(ex.context)), ("completion", .string(ex.completion))]))
            }

        case .xcopa:
            guard let cause = source.parameters["cause"], let effect = source.parameters["effect"] else {
                throw EvaluationError.invalidOption("\(def.name)/\(name): the definition gives no cause/effect connectors (subset parameters cause, effect)")
            }
            let connectors = (cause: cause, effect: effect)
            return try XCOPALoader.load(source.path, in: data).prefix(limit).enumerated().map {
                XCOPAPrompt.item(language: name, row: $1, connectors: connectors, docId: $0, targetDelimiter: delimiter)
            }

        case .xstorycloze:
            return try StoryClozeLoader.load(source.path, in: data).prefix(limit).enumerated().map {
                StoryClozePrompt.item(language: name, row: $1, docId: $0, targetDelimiter: delimiter)
            }

        case .winogradPartial:
            if cache.winograd[source.path] == nil { cache.winograd[source.path] = try XWinogradLoader.loadAll(source.path, in: data) }
            return try cache.winograd[source.path]!.filter { $0.language == (source.rowFilter ?? name) }
                .prefix(limit).enumerated().map { try WinogradPrompt.item(language: name, row: $1.row, docId: $0, targetDelimiter: delimiter) }

        case .trainingPrompt:
            guard let supplied = suppliedItems else {
                throw EvaluationError.invalidOption("\(def.label) scores the held-out examples of training tasks: it runs inside an experiment cell (`metalora run`), which builds its items from the cell's training data, not through `metalora eval`")
            }
            guard let subsetItems = supplied[name] else {
                throw EvaluationError.invalidOption("\(def.label): no held-out items were supplied for subset '\(name)'")
            }
            return Array(subsetItems.prefix(limit))

        case .questionAnswer:
            // One parse of the shared 13.5k-row file serves all 16 languages.
            if cache.exams[source.path] == nil { cache.exams[source.path] = try EXAMSLoader.load(source.path, language: nil, in: data) }
            let all = cache.exams[source.path]!
            let language = source.rowFilter ?? name
            skipped += all.skipped.filter { $0.group == language }
            // doc_id counts the language's scorable rows (skipped rows are reported, not scored).
            return all.rows.filter { $0.language == language }.prefix(limit).enumerated().map {
                EXAMSPrompt.item(language: name, row: $1, docId: $0, targetDelimiter: delimiter)
            }
        }
    }
}

/// Parsed shared files (one file, many subsets), kept for the duration of one preparation.
struct SharedFileCache {
    var exams: [String: (rows: [EXAMSRow], skipped: [SkippedRow])] = [:]
    var winograd: [String: [(language: String, row: WinogradRow)]] = [:]
}
