// sweep.json: everything a Slurm array task needs to find and run its cell, written beside the
// array script. Spec strings (labels, paths, the model) live here as JSON and never in the script,
// so no value from a spec is ever parsed by a shell. Array index i runs cells[i], found by its
// config hash; merge refuses shards whose runs are not cells of this manifest or ran other code.
import Foundation

public struct SweepManifest: Codable, Equatable, Sendable {
    public struct Cell: Codable, Equatable, Sendable {
        public var index: Int
        public var configHash: String
        public var method: String
        public var budget: String
        public var grid: String?
        public var seed: Int
    }
    public var spec: String
    public var specPath: String
    public var profile: String
    public var profilesPath: String?
    public var model: String?
    public var root: String
    public var store: String
    public var shardDirectory: String
    public var checkpoints: String
    public var codeVersion: String
    public var cells: [Cell]

    public static let fileName = "sweep.json"

    public init(spec: String, specPath: String, profile: String, profilesPath: String?, model: String?, root: String, store: String,
                shardDirectory: String, checkpoints: String, codeVersion: String, cells: [ResolvedCell]) {
        self.spec = spec; self.specPath = specPath; self.profile = profile; self.profilesPath = profilesPath; self.model = model
        self.root = root; self.store = store; self.shardDirectory = shardDirectory; self.checkpoints = checkpoints
        self.codeVersion = codeVersion
        self.cells = cells.enumerated().map { i, c in
            Cell(index: i, configHash: c.configHash, method: c.methodLabel, budget: c.budget.description, grid: c.gridLabel, seed: c.seed)
        }
    }

    /// The shard a cell's task writes: one file per config hash, so a resubmitted cell reuses it.
    public func shardPath(_ cell: Cell) -> String { shardDirectory + "/" + cell.configHash + ".sqlite" }

    public func write(to url: URL) throws {
        let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]; e.keyEncodingStrategy = .convertToSnakeCase
        try e.encode(self).write(to: url, options: .atomic)
    }

    public static func read(_ url: URL) throws -> SweepManifest {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SpecError(file: url.path, line: 0, field: "", message: "cannot read the sweep manifest: \(error.localizedDescription)")
        }
        let d = JSONDecoder(); d.keyDecodingStrategy = .convertFromSnakeCase
        do { return try d.decode(SweepManifest.self, from: data) } catch {
            throw SpecError(file: url.path, line: 0, field: "", message: "not a sweep manifest: \(error)")
        }
    }
}
