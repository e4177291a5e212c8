// The model dimensions plan's cost needs, without loading weights: a named shape (llama2-7b,
// llama2-13b, the paper's models) or the header of a GGUF file / config.json of a safetensors folder.
import Foundation
import Models

public struct ModelShape: Sendable {
    public let name: String
    public let config: LlamaConfig
    /// Where the shape came from: "named shape", or the file whose header was read.
    public let source: String

    public init(name: String, config: LlamaConfig, source: String) {
        self.name = name; self.config = config; self.source = source
    }

    /// LLaMA-2 7B and 13B (Touvron et al. 2023, Table 1; the Hugging Face config.json of meta-llama/Llama-2-*-hf).
    public static let named: [String: LlamaConfig] = [
        "llama2-7b": LlamaConfig(architecture: "llama", vocabularySize: 32000, hiddenSize: 4096, intermediateSize: 11008, layerCount: 32,
                                 headCount: 32, keyValueHeadCount: 32, headSize: 128, ropeDimensions: 128, ropeTheta: 10_000,
                                 ropeLinearScale: 1, rmsNormEpsilon: 1e-5, contextLength: 4096, tiedEmbeddings: false),
        "llama2-13b": LlamaConfig(architecture: "llama", vocabularySize: 32000, hiddenSize: 5120, intermediateSize: 13824, layerCount: 40,
                                  headCount: 40, keyValueHeadCount: 40, headSize: 128, ropeDimensions: 128, ropeTheta: 10_000,
                                  ropeLinearScale: 1, rmsNormEpsilon: 1e-5, contextLength: 4096, tiedEmbeddings: false),
    ]

    public static func named(_ name: String) throws -> ModelShape {
        guard let c = named[name] else {
            throw SpecError(file: "plan", line: 0, field: "model-shape", message: "unknown shape '\(name)'; valid shapes: \(named.keys.sorted().joined(separator: ", "))")
        }
        return ModelShape(name: name, config: c, source: "named shape")
    }

    /// Reads only the header (GGUF metadata, or config.json): nothing is dequantized.
    public static func read(_ url: URL) throws -> ModelShape {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw SpecError(file: url.path, line: 0, field: "model", message: "no such model file or folder")
        }
        let config = isDir.boolValue ? try LlamaConfig(huggingFaceConfig: url.appendingPathComponent("config.json"))
                                     : try LlamaConfig(gguf: GGUFFile(url: url))
        return ModelShape(name: url.lastPathComponent, config: config, source: url.path)
    }

    /// Parameters of the matrices every token multiplies by (per layer: q, k, v, o, gate, up, down), all layers.
    public var layerParameters: Double {
        let c = config, C = Double(c.hiddenSize)
        return Double(c.layerCount) * (2 * C * Double(c.queryWidth) + 2 * C * Double(c.keyValueWidth) + 3 * C * Double(c.intermediateSize))
    }
    /// Every parameter: layers, norms, the embedding and (untied) the LM head.
    public var totalParameters: Double {
        let c = config, C = Double(c.hiddenSize), V = Double(c.vocabularySize)
        return layerParameters + Double(c.layerCount) * 2 * C + C + V * C * (c.tiedEmbeddings ? 1 : 2)
    }
}
