import XCTest
import Foundation
import Engine
import Models
import Adapters
import TestSupport

/// Resident weights (kept in the checkpoint's encoding, dequantized right before each product)
/// must give the same bits as float32 weights dequantized at load: logits, loss, every LoRA
/// gradient and dLoss/d(embeddings) through the frozen weights, scoring, and KV-cache generation.
final class ResidentWeightsTests: XCTestCase {
    /// Everything the two residencies are compared on.
    struct Outcome {
        var logits: [UInt32] = [], scores: [Double] = [], greedy: [Bool] = []
        var loss = 0.0, recomputedLoss = 0.0
        var gradients: [String: [UInt32]] = [:], dEmbeddings: [UInt32] = []
        var generated: [[Int]] = [], cachedScores: [Double] = []
    }

    static func run(_ model: LanguageModel) throws -> Outcome {
        let v = model.config.vocabularySize
        var rng = SplitMix64(seed: 17)
        func tokens(_ n: Int) -> [Int] { (0..<n).map { _ in Int(rng.next() % UInt64(v)) } }
        let a = tokens(11), b = tokens(7)
        let batch = TokenBatch(inputIds: [a, b + [0, 0, 0, 0]], attentionMask: [Array(repeating: 1, count: 11), Array(repeating: 1, count: 7) + [0, 0, 0, 0]],
                               labels: [a, b + [-100, -100, -100, -100]])
        var out = Outcome()
        let decoder = model.decoder
        // Inference: logits and lm-eval scoring.
        let inference = DecoderActivations(config: model.config, batch: batch.batch, seqLen: batch.seqLen, saveForBackward: false)
        try decoder.forward(batch, inference)
        out.logits = decoder.logits(inference).array.map(\.bitPattern)
        (out.scores, out.greedy) = decoder.scoreTargets(batch, inference)
        // LoRA on q, k, v, o and the MLP, random A and B so every gradient flows through every frozen weight.
        let parameters = LoRAParameters(config: LoRAConfig(rank: 4, alpha: 8, targets: Projection.allCases), model: model.config)
        var prng = SplitMix64(seed: 5)
        for (_, value, _) in parameters.namedParameters { for i in 0..<value.count { value.data[i] = Float(prng.nextNormal() * 0.05) } }
        decoder.adapter = LoRAAdapter(parameters)
        defer { decoder.adapter = nil }
        let training = DecoderActivations(config: model.config, batch: batch.batch, seqLen: batch.seqLen, saveForBackward: true)
        let dEmbeddings = Tensor(shape: [batch.rows, model.config.hiddenSize])
        parameters.zeroGradients()
        out.loss = try decoder.lossAndGradients(batch, training, dEmbeddings: dEmbeddings, training: false).meanNLL
        for (name, _, grad) in parameters.namedParameters { out.gradients[name] = grad.array.map(\.bitPattern) }
        out.dEmbeddings = dEmbeddings.array.map(\.bitPattern)
        let recompute = DecoderActivations(config: model.config, batch: batch.batch, seqLen: batch.seqLen, saveForBackward: true, recomputeMLP: true)
        out.recomputedLoss = try decoder.lossAndGradients(batch, recompute, training: false).meanNLL
        // KV cache: batched greedy generation, and scoring continuation tokens against the cache.
        let generator = GreedyGenerator(decoder: decoder, stopTokens: [], decode: { _ in "" })
        out.generated = try generator.generate(prompts: [a, b], maxNewTokens: 6).map(\.tokens)
        let cache = KVCache(config: model.config, batch: 2, capacity: 32)
        _ = try decoder.forwardCached([a, b], cache: cache, outputs: .none)
        let continuation = try decoder.forwardCached([Array(b.prefix(3)), Array(a.prefix(1))], cache: cache)
        out.cachedScores = decoder.score(continuation, targets: [Int32(a[0]), Int32(a[1]), Int32(a[2]), Int32(b[0])]).logProbs
        return out
    }

    func assertIdentical(_ path: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let f32 = try LanguageModel(url: path, weights: .f32)
        let resident = try LanguageModel(url: path, weights: .resident)
        XCTAssertEqual(f32.weights.residency, .f32, file: file, line: line)
        XCTAssertEqual(resident.weights.residency, .resident, file: file, line: line)
        XCTAssertEqual(f32.weights.parameterCount, resident.weights.parameterCount, file: file, line: line)
        XCTAssertLessThanOrEqual(resident.weights.residentBytes, f32.weights.residentBytes, file: file, line: line)
        for l in [0, f32.config.layerCount - 1] {
            for p in Projection.allCases {
                XCTAssertEqual(f32.weights.layers[l].weightTensor(p).array.map(\.bitPattern),
                               resident.weights.layers[l].weightTensor(p).array.map(\.bitPattern), "\(path.lastPathComponent) layer \(l) \(p)",
                               file: file, line: line)
            }
        }
        let expected = try Self.run(f32), actual = try Self.run(resident)
        let name = path.lastPathComponent
        XCTAssertGreaterThan(resident.decoder.dequantizeSeconds, 0, "\(name): resident products dequantize", file: file, line: line)
        XCTAssertEqual(f32.decoder.dequantizeSeconds, 0, "\(name): float32 products do not", file: file, line: line)
        XCTAssertEqual(actual.logits, expected.logits, "\(name) logits", file: file, line: line)
        XCTAssertEqual(actual.scores, expected.scores, "\(name) scores", file: file, line: line)
        XCTAssertEqual(actual.greedy, expected.greedy, "\(name) greedy flags", file: file, line: line)
        XCTAssertEqual(actual.loss, expected.loss, "\(name) loss", file: file, line: line)
        XCTAssertEqual(actual.recomputedLoss, expected.recomputedLoss, "\(name) loss with MLP recomputation", file: file, line: line)
        XCTAssertEqual(actual.gradients.keys.sorted(), expected.gradients.keys.sorted(), file: file, line: line)
        for (k, g) in expected.gradients {
            XCTAssertTrue(g.contains { Float(bitPattern: $0) != 0 }, "\(name) \(k): gradient is zero, the check is empty", file: file, line: line)
            XCTAssertEqual(actual.gradients[k], g, "\(name) gradient \(k)", file: file, line: line)
        }
        XCTAssertEqual(actual.dEmbeddings, expected.dEmbeddings, "\(name) dLoss/d(embeddings)", file: file, line: line)
        XCTAssertEqual(actual.generated, expected.generated, "\(name) KV-cache generation", file: file, line: line)
        XCTAssertEqual(actual.cachedScores, expected.cachedScores, "\(name) KV-cache scoring", file: file, line: line)
        print("resident = f32 bit for bit on \(name): \(resident.tensorTypes), \(resident.weights.residentBytes) resident bytes vs \(f32.weights.residentBytes)")
    }

    func testFixtureF32GGUF() throws { try assertIdentical(Fixtures.require("tiny-llama/model-f32.gguf")) }
    func testFixtureQ4_1GGUF() throws { try assertIdentical(Fixtures.require("tiny-llama/model-q4_1.gguf")) }
    func testFixtureQ8_0GGUF() throws { try assertIdentical(Fixtures.require("tiny-llama/model-q8_0.gguf")) }
    func testFixtureSafetensorsFolder() throws { try assertIdentical(Fixtures.require("tiny-llama")) }
    func testSmolLM2() throws { try assertIdentical(Fixtures.smolLM2()) }

    /// Every supported encoding, one per matrix, in a model whose rows are whole K-quant blocks:
    /// random block bytes (scales kept finite) exercise every bit of every layout.
    func testEveryEncoding() throws {
        let url = try Self.writeEveryEncodingModel()
        defer { try? FileManager.default.removeItem(at: url) }
        let types = Set(try GGUFFile(url: url).tensors.values.map(\.type))
        XCTAssertTrue(types.isSuperset(of: Self.matrixTypes), "\(types)")
        try assertIdentical(url)
    }

    /// F16 and BF16 safetensors (the HF encodings resident weights keep as stored).
    func testHalfPrecisionSafetensors() throws {
        for dtype in ["F16", "BF16"] {
            let folder = try Self.writeHalfPrecisionFolder(dtype: dtype)
            defer { try? FileManager.default.removeItem(at: folder) }
            let m = try LanguageModel(url: folder, weights: .resident)
            XCTAssertEqual(m.tensorTypes[dtype], 2 * 7 + 2, "\(dtype): \(m.tensorTypes)")
            XCTAssertEqual(m.weights.layers[0].encoded(.q)?.type, dtype == "F16" ? .f16 : .bf16)
            try assertIdentical(folder)
        }
    }

    func testBF16ProductsNeedFloat32Weights() throws {
        try requireBF16()
        let m = try LanguageModel(url: Fixtures.require("tiny-llama/model-q8_0.gguf"), weights: .resident)
        XCTAssertThrowsError(try m.decoder.setPrecision(.bf16)) { error in
            XCTAssertTrue("\(error)".contains("--weights f32"), "\(error)")
        }
    }

    func testAutoResidencyFollowsModelSize() {
        let gib: UInt64 = 1 << 30
        XCTAssertEqual(WeightResidency.auto.resolved(parameters: 135_000_000, physicalMemory: 24 * gib), .f32)
        XCTAssertEqual(WeightResidency.auto.resolved(parameters: 6_700_000_000, physicalMemory: 24 * gib), .resident)
        XCTAssertEqual(WeightResidency.f32.resolved(parameters: 6_700_000_000, physicalMemory: 24 * gib), .f32)
        XCTAssertEqual(WeightResidency.resident.resolved(parameters: 10), .resident)
    }

    static let matrixTypes: Set<GGMLType> = [.f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K]

    /// Random but valid blocks of `type` for `count` values: every f16 scale field is set to a
    /// small positive value, everything else is random bits.
    static func randomBlocks(_ type: GGMLType, count: Int, rng: inout SplitMix64) -> [UInt8] {
        let (blockSize, bytesPerBlock) = type.layout
        var bytes = (0..<(count / blockSize * bytesPerBlock)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        func half(_ byte: Int) {
            let h = Float16(Float(0.002 + 0.01 * rng.nextUniform())).bitPattern
            bytes[byte] = UInt8(h & 0xFF); bytes[byte + 1] = UInt8(h >> 8)
        }
        let halves: [Int]
        switch type {
        case .f16, .bf16: halves = []
        case .q8_0, .q4_0, .q5_0: halves = [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: halves = [0, 2]
        case .q6_K: halves = [208]
        default: preconditionFailure("\(type)")
        }
        for b in 0..<(count / blockSize) { for o in halves { half(b * bytesPerBlock + o) } }
        if type == .f16 || type == .bf16 {
            for i in 0..<count {
                let x = Float(rng.nextNormal() * 0.05)
                let bits: UInt16 = type == .f16 ? Float16(x).bitPattern : UInt16(x.bitPattern >> 16)
                bytes[2 * i] = UInt8(bits & 0xFF); bytes[2 * i + 1] = UInt8(bits >> 8)
            }
        }
        return bytes
    }

    static let everyEncodingShape = SyntheticCheckpoint.Shape(name: "every-encoding", hiddenSize: 256, intermediateSize: 512,
                                                             layerCount: 2, headCount: 4, keyValueHeadCount: 2, contextLength: 64)

    static func writeEveryEncodingModel() throws -> URL {
        let shape = everyEncodingShape, vocabulary = 96
        let order: [GGMLType] = [.q4_K, .q5_K, .q6_K, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .f16, .bf16]
        var specs = SyntheticCheckpoint.tensors(shape, vocabulary: vocabulary, quant: .q8_0)
        var next = 0
        specs = specs.map { s in
            guard s.ne.count == 2 else { return s }
            defer { next += 1 }
            return GGUFFileWriter.TensorSpec(name: s.name, ne: s.ne, type: order[next % order.count])
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("every-encoding-\(UUID().uuidString).gguf")
        var rng = SplitMix64(seed: 11)
        try GGUFFileWriter.write(to: url, metadata: SyntheticCheckpoint.metadata(shape, vocabulary: vocabulary, tokenizer: []), tensors: specs) { i in
            let s = specs[i], count = s.ne.reduce(1, *)
            if s.type == .f32 { return (0..<count).flatMap { _ in withUnsafeBytes(of: Float(1 + 0.1 * rng.nextNormal()).bitPattern.littleEndian) { Array($0) } } }
            return randomBlocks(s.type, count: count, rng: &rng)
        }
        return url
    }

    /// The tiny fixture model re-saved with its matrices as F16 or BF16 (norms F32).
    static func writeHalfPrecisionFolder(dtype: String) throws -> URL {
        let source = try Fixtures.require("tiny-llama")
        let st = try SafeTensorsFile(url: source.appendingPathComponent("model.safetensors"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("half-\(dtype)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        var header: [String: Any] = [:], payload = Data()
        for name in st.names {
            let values = try st.floats(name), shape = try st.shape(name)
            let half = shape.count == 2
            let begin = payload.count
            for x in values {
                if !half { withUnsafeBytes(of: x.bitPattern.littleEndian) { payload.append(contentsOf: $0) }; continue }
                let bits: UInt16 = dtype == "F16" ? Float16(x).bitPattern : UInt16(x.bitPattern >> 16)
                withUnsafeBytes(of: bits.littleEndian) { payload.append(contentsOf: $0) }
            }
            header[name] = ["dtype": half ? dtype : "F32", "shape": shape, "data_offsets": [begin, payload.count]] as [String: Any]
        }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var file = Data()
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(headerBytes); file.append(payload)
        try file.write(to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }
}
