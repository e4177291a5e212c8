// Where the harness finds and puts things, relative to the package root.
import Foundation

public struct HarnessPaths: Sendable {
    public let root: URL
    public init(root: URL) { self.root = root }
    public static var current: HarnessPaths { HarnessPaths(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) }

    public var experiments: URL { root.appendingPathComponent("experiments") }
    public var profiles: URL { experiments.appendingPathComponent("profiles.yaml") }
    public var paperTables: URL { root.appendingPathComponent("paper-tables") }
    public var reportedNumbers: URL { paperTables.appendingPathComponent("reported-numbers.yaml") }
    public var results: URL { root.appendingPathComponent("results") }
    public var store: URL { results.appendingPathComponent("metalora.sqlite") }
    public var tablesOut: URL { results.appendingPathComponent("tables") }
    public var checkpoints: URL { results.appendingPathComponent("runs") }
    public var shards: URL { results.appendingPathComponent("shards") }
    public var dataManifest: URL { root.appendingPathComponent("data-manifest.json") }
    public var data: URL { root.appendingPathComponent("data") }

    /// A path as given on the command line: absolute, or relative to the package root.
    public func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
    }

    public func spec(_ name: String) -> URL { experiments.appendingPathComponent("\(name).yaml") }
    public func layout(_ name: String) -> URL { paperTables.appendingPathComponent("\(name).yaml") }

    /// "2", "table2", "figure2", "fig2" → the canonical table name.
    public static func tableName(_ s: String) -> String {
        let l = s.lowercased()
        if Int(l) != nil { return "table\(l)" }
        if l.hasPrefix("fig"), let n = Int(l.drop { !$0.isNumber }) { return "figure\(n)" }
        return l
    }
}
