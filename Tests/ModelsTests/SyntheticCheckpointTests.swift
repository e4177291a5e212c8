import XCTest
import Foundation
import Engine
import Models
import TestSupport

/// The GGUF writer and the Q8_0/Q4_K encoders behind `synth-checkpoint`: blocks read back by our
/// loader (and, when installed, by gguf-py) decode to what was encoded, and a synthetic model
/// loads, tokenizes and runs.
final class SyntheticCheckpointTests: XCTestCase {
    static func sample(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in Float(rng.nextNormal() * 0.02) + (i % 97 == 0 ? 0.1 : 0) }
    }

    /// One `[rows, cols]` tensor per type, written with `GGUFFileWriter`.
    func writeMatrices(rows: Int, cols: Int) throws -> (URL, [GGMLType: [Float]]) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quant-\(UUID().uuidString).gguf")
        var inputs: [GGMLType: [Float]] = [:]
        let specs = Quantize.supported.map { GGUFFileWriter.TensorSpec(name: "w.\($0.name)", ne: [cols, rows], type: $0) }
        for (i, t) in Quantize.supported.enumerated() { inputs[t] = Self.sample(rows * cols, seed: UInt64(i)) }
        try GGUFFileWriter.write(to: url, metadata: [("general.architecture", .string("llama")), ("test.list", .array(elementType: 5, [.int32(-3), .int32(4)]))],
                                 tensors: specs) { i in
            inputs[specs[i].type]!.withUnsafeBufferPointer { Quantize.run(specs[i].type, $0.baseAddress!, count: rows * cols) }
        }
        return (url, inputs)
    }

    func testEncodedBlocksDecodeToTheEncodedValues() throws {
        let rows = 6, cols = 512
        let (url, inputs) = try writeMatrices(rows: rows, cols: cols)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try GGUFFile(url: url)
        XCTAssertEqual(file.metadata["test.list"], .array(elementType: 5, [.int32(-3), .int32(4)]))
        for type in Quantize.supported {
            let info = try XCTUnwrap(file.tensors["w.\(type.name)"])
            XCTAssertEqual(info.type, type); XCTAssertEqual(info.shape, [rows, cols])
            let x = inputs[type]!, decoded = try file.floats(info.name)
            // Every value lies within one quantization step of its block (sub-block for Q4_K).
            let group = 32
            var worstRelative: Float = 0
            for g in stride(from: 0, to: x.count, by: group) {
                let block = x[g..<(g + group)]
                let step = type == .q8_0 ? block.map(abs).max()! / 127 : (block.max()! - min(0, block.min()!)) / 15
                for i in g..<(g + group) {
                    worstRelative = max(worstRelative, abs(decoded[i] - x[i]) / max(step, 1e-12))
                }
            }
            // Half a step, plus (Q8_0) the f16 rounding of the scale over 127 steps, or (Q4_K) the
            // 6-bit rounding of each sub-block's scale and min.
            XCTAssertLessThan(worstRelative, type == .q8_0 ? 0.5 + 127 * 0x1p-11 : 1.0, "\(type.name): worst error in quantization steps")
            // Encoding the decoded values again gives the same blocks (Q8_0's scale is recovered exactly).
            if type == .q8_0 {
                let again = decoded.withUnsafeBufferPointer { Quantize.run(type, $0.baseAddress!, count: decoded.count) }
                let stored = try file.withRawBytes(of: info.name) { raw, _ in Array(raw) }
                XCTAssertEqual(again, stored, "Q8_0 re-encoding")
            }
            print("\(type.name): worst |error| \(worstRelative) steps")
        }
        try crossCheckWithGGUFPy(url, file: file)
    }

    /// gguf-py's reader and numpy dequantizers must decode our file to the same floats.
    func crossCheckWithGGUFPy(_ url: URL, file: GGUFFile) throws {
        let script = """
        import sys, numpy as np
        from gguf import GGUFReader
        from gguf.quants import dequantize
        r = GGUFReader(sys.argv[1])
        for t in sorted(r.tensors, key=lambda t: t.name):
            v = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
            sys.stdout.write(t.name + " " + v.view(np.uint32).tobytes().hex() + "\\n")
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, url.path]
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe; process.standardError = errors
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let why = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if why.contains("No module named") { throw XCTSkip("gguf-py not installed (pip install gguf): cross-check not run") }
            XCTFail("gguf-py failed: \(why)"); return
        }
        var checked = 0
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            let name = String(parts[0]), hex = Array(parts[1].utf8)
            var theirs: [UInt32] = []
            for i in stride(from: 0, to: hex.count, by: 8) {
                let bytes = (0..<4).map { j in UInt8(String(decoding: hex[(i + 2 * j)..<(i + 2 * j + 2)], as: UTF8.self), radix: 16)! }
                theirs.append(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
            }
            XCTAssertEqual(try file.floats(name).map(\.bitPattern), theirs, "gguf-py decodes \(name) differently")
            checked += 1
        }
        XCTAssertEqual(checked, Quantize.supported.count)
        print("gguf-py cross-check: \(checked) tensors decode to the same bits")
    }

    /// A small model of the synthetic writer's layout, with SmolLM2's tokenizer, loads and runs
    /// (resident and float32 agree), and the same seed writes the same bytes.
    func testSyntheticCheckpointLoadsAndRuns() throws {
        let tokenizerSource = try GGUFFile(url: Fixtures.smolLM2())
        let shape = SyntheticCheckpoint.Shape(name: "small", hiddenSize: 256, intermediateSize: 512, layerCount: 2, headCount: 4,
                                              keyValueHeadCount: 4, contextLength: 256)
        let dir = FileManager.default.temporaryDirectory
        let a = dir.appendingPathComponent("synth-a-\(UUID().uuidString).gguf"), b = dir.appendingPathComponent("synth-b-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        try SyntheticCheckpoint.write(shape: shape, quant: .q4_K, tokenizerFrom: tokenizerSource, seed: 3, to: a)
        try SyntheticCheckpoint.write(shape: shape, quant: .q4_K, tokenizerFrom: tokenizerSource, seed: 3, to: b)
        XCTAssertEqual(try Data(contentsOf: a), try Data(contentsOf: b), "same seed, same file")
        let model = try LanguageModel(url: a, weights: .resident)
        XCTAssertEqual(model.config.hiddenSize, 256); XCTAssertEqual(model.config.layerCount, 2)
        XCTAssertEqual(model.config.vocabularySize, tokenizerSource.metadata["tokenizer.ggml.tokens"]?.array?.count)
        XCTAssertEqual(model.tensorTypes["Q4_K"], 2 + 2 * 7)
        let ids = try model.requireTokenizer().encode("The quick brown fox")
        XCTAssertFalse(ids.isEmpty)
        let logits = try model.decoder.logits(for: TokenBatch(inputIds: [ids])).array
        XCTAssertTrue(logits.allSatisfy(\.isFinite))
        let f32 = try LanguageModel(url: a, weights: .f32)
        XCTAssertEqual(try f32.decoder.logits(for: TokenBatch(inputIds: [ids])).array.map(\.bitPattern), logits.map(\.bitPattern))
        XCTAssertThrowsError(try SyntheticCheckpoint.write(shape: shape, quant: .q5_K, tokenizerFrom: tokenizerSource, seed: 3, to: b))
    }
}
