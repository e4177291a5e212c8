import Foundation

/// Every failure names what to fix: the file and line/row/field for data problems, the valid
/// names for an unknown subset, the available count for an oversized few-shot request.
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case unreadableFile(path: String, reason: String)
    /// A malformed record: `location` is "line N" (text formats) or a JSON path such as "examples[12]".
    case malformedRow(file: String, location: String, field: String?, reason: String)
    case unknownBenchmark(name: String, valid: [String])
    case unknownVariant(benchmark: String, variant: String, valid: [String])
    case unknownSubset(benchmark: String, subset: String, valid: [String])
    case tooManyShots(benchmark: String, subset: String, requested: Int, available: Int, source: String)
    case fewShotUnsupported(benchmark: String, requested: Int)
    case invalidOption(String)
    case backendResultCount(expected: Int, got: Int)
    case emptyContextWithoutPrefixToken(continuation: String)
    case nonFiniteLoglikelihood(model: String, value: Double, continuation: String)
    /// A definition file (or the benchmark list) that cannot be used.
    case invalidDefinition(file: String, reason: String)
    /// A protocol's data that the data directory lacks.
    case missingRequiredData(benchmark: String, dataDirectory: String, missing: [RequiredData])

    public var description: String {
        switch self {
        case .missingFile(let p):
            return "data file \(p) not found"
        case .unreadableFile(let p, let r):
            return "cannot read \(p): \(r)"
        case .malformedRow(let file, let location, let field, let reason):
            let f = field.map { ", field '\($0)'" } ?? ""
            return "\(file): \(location)\(f): \(reason)"
        case .unknownBenchmark(let n, let valid):
            return "unknown benchmark '\(n)'; valid: \(valid.joined(separator: ", "))"
        case .unknownVariant(let b, let v, let valid):
            return "benchmark \(b) has no variant '\(v)'; valid: \(valid.joined(separator: ", "))"
        case .unknownSubset(let b, let s, let valid):
            return "benchmark \(b) has no subset '\(s)'; valid: \(valid.joined(separator: ", "))"
        case .tooManyShots(let b, let s, let r, let a, let src):
            return "\(b)/\(s): \(r) few-shot examples requested but \(src) holds only \(a)"
        case .fewShotUnsupported(let b, let r):
            return "\(b) is zero-shot (no few-shot source is defined); --shots \(r) is not supported"
        case .invalidOption(let m):
            return m
        case .backendResultCount(let e, let g):
            return "backend returned \(g) results for \(e) requests"
        case .invalidDefinition(let file, let reason):
            return "benchmark definition \(file): \(reason)"
        case .missingRequiredData(let b, let dir, let missing):
            let items = missing.map { "\($0.path) (\($0.reason); get it from \($0.fetch))" }.joined(separator: "; ")
            return "\(b) cannot run: \(dir) lacks \(items)"
        case .emptyContextWithoutPrefixToken(let c):
            return "empty context for continuation \(c.debugDescription) needs a prefix (BOS/EOT) token id"
        case .nonFiniteLoglikelihood(let model, let value, let c):
            return "non-finite log-likelihood \(value) for continuation \(c.debugDescription) from \(model): "
                + "the model's weights (or the adapter's) hold NaN or inf values"
        }
    }
}
