import ArgumentParser
import Foundation
import Engine
import Models

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect",
        abstract: "Architecture, shapes, tensor types, tokenizer kind and file hash of a checkpoint; --tensors / --kv list its tensor table and metadata.")

    @OptionGroup var options: ModelOptions
    @Flag(help: "List every tensor (name, type, shape, ggml ne, offset, bytes) from the file's header, like gguf-dump; GGUF, .safetensors or a Hugging Face folder. Loads no weights.")
    var tensors = false
    @Flag(help: "List the metadata keys and values (GGUF key/values, safetensors __metadata__, a folder's config.json), arrays abbreviated with their length.")
    var kv = false
    @Flag(help: "Print JSON (one object; with --tensors/--kv, arrays of rows).") var json = false

    func run() throws {
        if tensors || kv { return try list() }
        let m = try options.load()
        let c = m.config
        let tokenizer = m.tokenizer
        let info: [String: Any] = [
            "path": m.url.path, "format": m.format.rawValue, "sha256": m.fileHash,
            "architecture": c.architecture, "layers": c.layerCount, "hidden": c.hiddenSize,
            "intermediate": c.intermediateSize, "heads": c.headCount, "kv_heads": c.keyValueHeadCount,
            "head_size": c.headSize, "vocab": c.vocabularySize, "rope_theta": c.ropeTheta,
            "rope_dims": c.ropeDimensions, "rope_linear_scale": c.ropeLinearScale, "rms_eps": Double(c.rmsNormEpsilon),
            "context_length": c.contextLength, "tied_embeddings": c.tiedEmbeddings,
            "parameters": m.weights.parameterCount, "tensor_types": m.tensorTypes,
            "precision": m.decoder.precision.rawValue, "weights": m.weights.residency.rawValue,
            "weight_bytes": m.weights.residentBytes, "cpu": CPUFeatures.current.report,
            "tokenizer": tokenizer.map { "\($0.vocabulary.model.rawValue)/\($0.vocabulary.preTokenizer.rawValue), \($0.vocabularySize) tokens, bos \($0.bosId.map(String.init) ?? "-"), eos \($0.eosId.map(String.init) ?? "-"), add_bos \($0.addsBOS)" } ?? "none",
        ]
        if json { try printJSON(info); return }
        for key in info.keys.sorted() { print("\(key.padding(toLength: 18, withPad: " ", startingAt: 0)) \(info[key]!)") }
    }

    func list() throws {
        let url = URL(fileURLWithPath: options.model)
        let metadata = kv ? try CheckpointListing.metadata(at: url) : []
        let rows = tensors ? try CheckpointListing.tensors(at: url) : []
        if json {
            var object: [String: Any] = ["path": url.path]
            if kv { object["kv"] = metadata.map { ["key": $0.key, "type": $0.type, "count": $0.count, "value": $0.value] as [String: Any] } }
            if tensors {
                object["tensors"] = rows.map { r -> [String: Any] in
                    var o: [String: Any] = ["name": r.name, "type": r.type, "shape": r.shape, "offset": r.offset, "bytes": r.bytes, "file": r.file]
                    if let ne = r.ne { o["ne"] = ne }
                    return o
                }
            }
            return try printJSON(object)
        }
        print("* \(url.path)")
        if kv {
            print("* \(metadata.count) key/value pair(s)")
            for (i, m) in metadata.enumerated() {
                print(String(format: "%7d: ", i + 1) + pad(m.type, 12) + " | " + leftPad(String(m.count), 8) + " | \(m.key) = \(m.value)")
            }
        }
        if tensors {
            let total = rows.reduce(0) { $0 + $1.bytes }
            print("* \(rows.count) tensor(s), \(total) bytes")
            for (i, r) in rows.enumerated() {
                let dims = (r.ne ?? r.shape).map { leftPad(String($0), 6) }.joined(separator: ",")
                print(String(format: "%7d: ", i + 1) + leftPad(String(r.elements), 10) + " | " + pad(dims, 27) + " | " + pad(r.type, 7)
                      + " | " + leftPad(String(r.offset), 11) + " | " + leftPad(String(r.bytes), 10) + " | \(r.name)")
            }
            print("  columns: elements | \(rows.first?.ne != nil ? "ne (ggml order, fastest first)" : "shape (row-major)") | type | offset in file | bytes | name")
        }
    }

    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    func leftPad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
}
