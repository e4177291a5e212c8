import ArgumentParser
import Foundation
import Engine
import Models

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect",
        abstract: "Architecture, shapes, tensor types, tokenizer kind and file hash of a checkpoint.")

    @OptionGroup var options: ModelOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
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
}
