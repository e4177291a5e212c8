// The machine plan's cost is given for besides this one: a cluster node described by its cores
// (scaled from this machine's per-core sgemm rate) or directly by its sustained float32 GFLOP/s.
// From a profile's `node:` block or `plan --node-cores / --node-gflops`.
import Foundation

public struct NodeDescription: Equatable, Sendable {
    public var cores: Int?
    public var gflops: Double?
    public init(cores: Int? = nil, gflops: Double? = nil) { self.cores = cores; self.gflops = gflops }

    static func parse(_ f: YAMLField) throws -> NodeDescription {
        let m = try f.mapping(required: [], optional: ["cores", "gflops"])
        var n = NodeDescription()
        if let v = m["cores"], !v.isNull { n.cores = try v.int(); if n.cores! < 1 { throw v.error("must be ≥ 1") } }
        if let v = m["gflops"], !v.isNull { n.gflops = try v.double(); if !(n.gflops! > 0) || !n.gflops!.isFinite { throw v.error("must be a positive number") } }
        if n.cores == nil && n.gflops == nil { throw f.error("give cores, gflops or both") }
        return n
    }

    /// The node's rate: its own GFLOP/s, else this machine's rate per core × its cores.
    public func gflops(localRate: Double, localCores: Int) -> Double {
        gflops ?? localRate / Double(max(1, localCores)) * Double(cores ?? localCores)
    }

    public var label: String {
        [cores.map { "\($0) cores" }, gflops.map { String(format: "%.0f GFLOP/s", $0) }].compactMap { $0 }.joined(separator: ", ")
    }
}
