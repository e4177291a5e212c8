import Foundation
import Yams

/// The benchmark list: `benchmarks.yaml` in a definitions folder names one definition file per
/// line, and each file is one `BenchmarkDefinition`. The shipped folder is the module's
/// `Benchmarks/` resource; `METALORA_BENCHMARKS=DIR` reads another folder laid out the same way
/// (a copy with a benchmark added, say) without rebuilding.
public struct BenchmarkCatalog: Sendable {
    public let directory: URL
    /// In list order.
    public let definitions: [BenchmarkDefinition]

    public static let listFile = "benchmarks.yaml"
    public static let environmentKey = "METALORA_BENCHMARKS"

    /// Reads `directory/benchmarks.yaml` and every file it lists.
    public init(directory: URL) throws {
        self.directory = directory
        let listURL = directory.appendingPathComponent(Self.listFile)
        let text = try TextFile.read(listURL)
        let files: [String]
        do {
            files = try YAMLDecoder().decode(ListFile.self, from: text).benchmarks
        } catch {
            throw EvaluationError.invalidDefinition(file: listURL.path, reason: "expected `benchmarks:` followed by a list of definition file names (\(error))")
        }
        var loaded: [BenchmarkDefinition] = []
        var seen: [String: String] = [:]
        for file in files {
            let def = try DefinitionFile.load(directory.appendingPathComponent(file))
            if let earlier = seen[def.label] {
                throw EvaluationError.invalidDefinition(file: listURL.path, reason: "\(file) and \(earlier) both define \(def.label)")
            }
            seen[def.label] = file
            loaded.append(def)
        }
        if loaded.isEmpty { throw EvaluationError.invalidDefinition(file: listURL.path, reason: "the list names no definitions") }
        definitions = loaded
    }

    struct ListFile: Decodable { var benchmarks: [String] }

    /// Benchmark names in list order, each once.
    public var names: [String] {
        var out: [String] = []
        for d in definitions where !out.contains(d.name) { out.append(d.name) }
        return out
    }

    /// The declared variants of a benchmark, in list order; empty when it has a single definition without one.
    public func variants(of name: String) -> [String] { definitions.filter { $0.name == name }.compactMap(\.variant) }

    /// `variant` nil picks the benchmark's first listed definition (BBH: direct).
    public func definition(name: String, variant: String? = nil) throws -> BenchmarkDefinition {
        let candidates = definitions.filter { $0.name == name }
        guard let first = candidates.first else { throw EvaluationError.unknownBenchmark(name: name, valid: names) }
        guard let variant else { return first }
        guard let match = candidates.first(where: { $0.variant == variant }) else {
            throw EvaluationError.unknownVariant(benchmark: name, variant: variant, valid: variants(of: name))
        }
        return match
    }

    /// The shipped definitions (the module's `Benchmarks/` folder).
    public static func builtIn() throws -> BenchmarkCatalog {
        guard let url = Bundle.module.url(forResource: "Benchmarks", withExtension: nil) else {
            throw EvaluationError.invalidDefinition(file: Bundle.module.bundlePath, reason: "the Benchmarks folder is missing from the resource bundle")
        }
        return try cached(url)
    }

    /// `$METALORA_BENCHMARKS` when set, else the shipped definitions: what the CLI and harness use.
    public static func active(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BenchmarkCatalog {
        if let dir = environment[environmentKey], !dir.isEmpty {
            return try cached(URL(fileURLWithPath: dir).standardizedFileURL)
        }
        return try builtIn()
    }

    /// Catalogs by folder, read once per process.
    static func cached(_ url: URL) throws -> BenchmarkCatalog {
        if let hit = cache.withLock({ $0[url.path] }) { return hit }
        let catalog = try BenchmarkCatalog(directory: url)
        cache.withLock { $0[url.path] = catalog }
        return catalog
    }

    private static let cache = Locked<[String: BenchmarkCatalog]>([:])
}

/// A value behind a lock, for the process-wide catalog cache.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(&value) }
}
