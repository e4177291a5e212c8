import XCTest
import Engine
import Models
import Bench
import TestSupport

/// The bench's parts on the tiny fixture model: each reports its keys under the name of its
/// precision and leaves the model in float32; the derived ratios follow from the keys.
final class BenchmarksTests: XCTestCase {
    func bench() throws -> (Benchmarks, LanguageModel) {
        let model = try LanguageModel(url: Fixtures.require("tiny-llama"))
        return (Benchmarks(model: model, repeats: 1, dataDir: "data", log: { _ in }), model)
    }

    func testUnknownPartIsRefusedByName() throws {
        let (bench, _) = try bench()
        XCTAssertThrowsError(try bench.run("score-fp8")) { XCTAssertTrue("\($0)".contains("score-fp8") && "\($0)".contains("score-bf16"), "\($0)") }
    }

    func testFloat32PartsReportTheirKeys() throws {
        let (bench, model) = try bench()
        let score = try bench.run("score")
        XCTAssertGreaterThan(try XCTUnwrap(score["score_8x512_tokens_per_s"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(score["score_gflops"] as? Double), 0)
        XCTAssertNil(score["score_8x512_bf16_tokens_per_s"])
        let train = try bench.run("train-8x512")
        XCTAssertGreaterThan(try XCTUnwrap(train["train_8x512_tokens_per_s"] as? Double), 0)
        XCTAssertEqual(model.decoder.precision, .f32)
    }

    func testBF16PartsReportTheirKeysAndRestoreFloat32() throws {
        try requireBF16()
        let (bench, model) = try bench()
        let score = try bench.run("score-bf16")
        XCTAssertGreaterThan(try XCTUnwrap(score["score_8x512_bf16_tokens_per_s"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(score["score_bf16_gflops"] as? Double), 0)
        XCTAssertNil(score["score_8x512_tokens_per_s"], "a bf16 part must not report under the float32 key")
        XCTAssertEqual(model.decoder.precision, .f32, "the model is back in float32 after a bf16 part")
        let train = try bench.run("train-8x512-bf16")
        XCTAssertGreaterThan(try XCTUnwrap(train["train_8x512_bf16_tokens_per_s"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(train["train_bf16_gflops"] as? Double), 0)
        let gemm = try bench.run("bf16-gemm")
        XCTAssertGreaterThan(try XCTUnwrap(gemm["bf16_gemm_gflops"] as? Double), 0)
        XCTAssertTrue(try XCTUnwrap(gemm["bf16_gemm_implementation"] as? String).hasPrefix("brg"))
    }

    func testDerivedRatios() {
        let ratios = Benchmarks.derivedRatios([
            "sgemm_gflops": 200.0, "bf16_gemm_gflops": 400.0, "score_gflops": 180.0, "score_bf16_gflops": 300.0,
            "score_8x512_tokens_per_s": 600.0, "score_8x512_bf16_tokens_per_s": 1200.0, "train_gflops": 150.0,
            "mmlu_questions_per_s": 7.0,
        ])
        XCTAssertEqual(ratios["score_fraction_of_sgemm"]!, 0.9, accuracy: 1e-12)
        XCTAssertEqual(ratios["train_fraction_of_sgemm"]!, 0.75, accuracy: 1e-12)
        XCTAssertEqual(ratios["score_bf16_fraction_of_bf16_gemm"]!, 0.75, accuracy: 1e-12)
        XCTAssertEqual(ratios["score_bf16_speedup"]!, 2, accuracy: 1e-12)
        XCTAssertEqual(ratios["bf16_gemm_speedup_over_sgemm"]!, 2, accuracy: 1e-12)
        XCTAssertNil(ratios["mmlu_bf16_speedup"], "no bf16 MMLU key, no ratio")
        XCTAssertNil(ratios["train_bf16_fraction_of_bf16_gemm"])
    }

    /// /proc pads the number to eight columns after the tab: from 10,000,000 kB (a 13B training
    /// step) there is no space before it, which a split on spaces alone read as no number at all.
    func testProcMemoryLinesParseAtEveryWidth() {
        XCTAssertEqual(Memory.kilobytes("VmHWM:\t 9144500 kB"), 9_144_500)
        XCTAssertEqual(Memory.kilobytes("VmHWM:\t14633624 kB"), 14_633_624)
        XCTAssertEqual(Memory.kilobytes("MemAvailable:   23456789 kB"), 23_456_789)
        XCTAssertNil(Memory.kilobytes("VmHWM:\t kB"))
        XCTAssertGreaterThan(Memory.peakResidentMiB(), 1, "this test process's own peak")
    }

}
