import struct Data.DataDirectory
/// The inputs of a benchmark's evaluated rows with the answers left out: what the data-selection
/// baselines of Table 13 rank training examples against ("relevance to the evaluation benchmark").
///
/// Every row of the evaluated split counts, in file order, whatever `--limit` or the shot count
/// of a run: the target is the benchmark, not the slice a scaled-down profile scores. The text of
/// a row is what the model is shown about it (question and answer options), never which option
/// is right.
public struct BenchmarkInputReader {
    public let data: DataDirectory
    var cache = SharedFileCache()

    public init(data: DataDirectory) { self.data = data }

    /// One subset's row texts.
    public mutating func texts(of def: BenchmarkDefinition, subset source: SubsetSource) throws -> [String] {
        switch def.format {
        case .mmluCSV:
            return try MMLULoader.load(source.path, in: data).map { ([$0.question] + $0.choices).joined(separator: "\n") }
        case .bbhJSON:
            return try BBHLoader.loadTask(source.path, in: data).map(\.input)
        case .lorahubBBHJSONL:
            return try BBHLoader.loadLoRAHubTask(source.path, in: data).map(\.context)
        case .xcopaJSONL:
            return try XCOPALoader.load(source.path, in: data).map { [$0.premise, $0.choice1, $0.choice2].joined(separator: "\n") }
        case .xstoryclozeJSONL:
            return try StoryClozeLoader.load(source.path, in: data).map { ($0.sentences + $0.endings).joined(separator: "\n") }
        case .xwinogradTSV:
            if cache.winograd[source.path] == nil { cache.winograd[source.path] = try XWinogradLoader.loadAll(source.path, in: data) }
            return cache.winograd[source.path]!.filter { $0.language == (source.rowFilter ?? source.name) }
                .map { [$0.row.sentence, $0.row.option1, $0.row.option2].joined(separator: "\n") }
        case .trainingHeldOut:
            throw EvaluationError.invalidOption("\(def.label) is built from training tasks' held-out examples: it cannot be a data-selection target")
        case .examsJSONL:
            if cache.exams[source.path] == nil { cache.exams[source.path] = try EXAMSLoader.load(source.path, language: nil, in: data) }
            return cache.exams[source.path]!.rows.filter { $0.language == (source.rowFilter ?? source.name) }
                .map { ([$0.stem] + $0.choices).joined(separator: "\n") }
        }
    }

    /// Every subset's row texts, in the definition's subset order.
    public mutating func texts(of def: BenchmarkDefinition) throws -> [String] {
        var all: [String] = []
        for source in def.subsets { all += try texts(of: def, subset: source) }
        return all
    }
}
