import Foundation
import Engine

/// A GGUF checkpoint with a real LLaMA shape and seeded random weights, for measuring memory and
/// speed at paper scale without the real weights (`metalora synth-checkpoint`). Matrices are
/// uniform in ±0.02·√3 (standard deviation 0.02, the LLaMA initialiser's), encoded as `quant`;
/// norms are 1 (F32). The tokenizer metadata is copied from another GGUF, so the vocabulary (and
/// with it the embedding and LM head rows) is that tokenizer's.
public enum SyntheticCheckpoint {
    public struct Shape: Sendable, Equatable {
        public let name: String
        public let hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int, keyValueHeadCount: Int
        public let contextLength: Int
        public init(name: String, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
                    keyValueHeadCount: Int, contextLength: Int) {
            self.name = name; self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize; self.layerCount = layerCount
            self.headCount = headCount; self.keyValueHeadCount = keyValueHeadCount; self.contextLength = contextLength
        }
        var headSize: Int { hiddenSize / headCount }
    }

    /// LLaMA-2 7B and 13B (Touvron et al. 2023, Table 1; the HF configs).
    public static let shapes: [String: Shape] = [
        "llama2-7b": Shape(name: "llama2-7b", hiddenSize: 4096, intermediateSize: 11008, layerCount: 32, headCount: 32,
                           keyValueHeadCount: 32, contextLength: 4096),
        "llama2-13b": Shape(name: "llama2-13b", hiddenSize: 5120, intermediateSize: 13824, layerCount: 40, headCount: 40,
                            keyValueHeadCount: 40, contextLength: 4096),
    ]

    /// The tensors of `shape` in llama.cpp's order, matrices as `quant`, norms F32.
    public static func tensors(_ shape: Shape, vocabulary: Int, quant: GGMLType) -> [GGUFFileWriter.TensorSpec] {
        let c = shape.hiddenSize, h = shape.intermediateSize, kw = shape.keyValueHeadCount * shape.headSize
        var specs = [GGUFFileWriter.TensorSpec(name: "token_embd.weight", ne: [c, vocabulary], type: quant)]
        for l in 0..<shape.layerCount {
            let b = "blk.\(l)."
            specs += [
                .init(name: b + "attn_norm.weight", ne: [c], type: .f32),
                .init(name: b + "attn_q.weight", ne: [c, c], type: quant),
                .init(name: b + "attn_k.weight", ne: [c, kw], type: quant),
                .init(name: b + "attn_v.weight", ne: [c, kw], type: quant),
                .init(name: b + "attn_output.weight", ne: [c, c], type: quant),
                .init(name: b + "ffn_norm.weight", ne: [c], type: .f32),
                .init(name: b + "ffn_gate.weight", ne: [c, h], type: quant),
                .init(name: b + "ffn_up.weight", ne: [c, h], type: quant),
                .init(name: b + "ffn_down.weight", ne: [h, c], type: quant),
            ]
        }
        specs += [.init(name: "output_norm.weight", ne: [c], type: .f32),
                  .init(name: "output.weight", ne: [c, vocabulary], type: quant)]
        return specs
    }

    /// llama.cpp's `llama.*` hyper-parameter keys for `shape`, then the tokenizer's keys.
    public static func metadata(_ shape: Shape, vocabulary: Int, tokenizer: [(String, GGUFValue)]) -> [(String, GGUFValue)] {
        [("general.architecture", .string("llama")), ("general.name", .string("synthetic-\(shape.name)")),
         ("general.alignment", .uint32(UInt32(GGUFFileWriter.alignment))),
         ("llama.vocab_size", .uint32(UInt32(vocabulary))),
         ("llama.context_length", .uint32(UInt32(shape.contextLength))),
         ("llama.embedding_length", .uint32(UInt32(shape.hiddenSize))),
         ("llama.feed_forward_length", .uint32(UInt32(shape.intermediateSize))),
         ("llama.block_count", .uint32(UInt32(shape.layerCount))),
         ("llama.attention.head_count", .uint32(UInt32(shape.headCount))),
         ("llama.attention.head_count_kv", .uint32(UInt32(shape.keyValueHeadCount))),
         ("llama.rope.dimension_count", .uint32(UInt32(shape.headSize))),
         ("llama.rope.freq_base", .float32(10_000)),
         ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))]
            + tokenizer.filter { $0.0.hasPrefix("tokenizer.") }
    }

    /// Seeded values of tensor `index`: row `r` comes from its own generator, so any split of the
    /// work gives the same file.
    public static func values(_ spec: GGUFFileWriter.TensorSpec, index: Int, seed: UInt64, into out: UnsafeMutablePointer<Float>) {
        let cols = spec.ne[0], rows = spec.ne.dropFirst().reduce(1, *)
        if spec.ne.count == 1 {
            out.update(repeating: 1, count: cols)
            return
        }
        let a: Float = 0.02 * 3.0.squareRoot().float
        Parallel.forEachChunk(rows, costPerItem: cols) { range in
            for r in range {
                var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(index) << 32 ^ UInt64(r))
                let row = out + r * cols
                for i in 0..<cols { row[i] = (Float(rng.next() >> 40) * 0x1.0p-24 * 2 - 1) * a }
            }
        }
    }

    /// Writes the checkpoint; `progress(done, total)` after each tensor.
    public static func write(shape: Shape, quant: GGMLType, tokenizerFrom source: GGUFFile, seed: UInt64, to url: URL,
                             progress: ((Int, Int) -> Void)? = nil) throws {
        guard Quantize.supported.contains(quant) else {
            throw CheckpointError.unsupported(file: url.path, reason: "quantization \(quant.name) (supported: \(Quantize.supported.map(\.name).joined(separator: ", ")))")
        }
        guard let tokens = source.metadata["tokenizer.ggml.tokens"]?.array?.count, tokens > 0 else {
            throw CheckpointError.missingMetadata(file: source.url.path, key: "tokenizer.ggml.tokens")
        }
        let tokenizer = source.metadataKeys.map { ($0, source.metadata[$0]!) }
        let specs = tensors(shape, vocabulary: tokens, quant: quant)
        try GGUFFileWriter.write(to: url, metadata: metadata(shape, vocabulary: tokens, tokenizer: tokenizer), tensors: specs) { i in
            let spec = specs[i], count = spec.ne.reduce(1, *)
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { buffer.deallocate() }
            values(spec, index: i, seed: seed, into: buffer)
            let bytes = spec.type == .f32
                ? Array(UnsafeRawBufferPointer(start: buffer, count: 4 * count))
                : Quantize.run(spec.type, buffer, count: count)
            progress?(i + 1, specs.count)
            return bytes
        }
    }
}

private extension Double { var float: Float { Float(self) } }
