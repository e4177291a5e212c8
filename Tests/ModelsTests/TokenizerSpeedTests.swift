import Foundation
import XCTest
import Models
import TestSupport

/// Throughput on MMLU's test CSVs with the SmolLM2 tokenizer. Prints the rate only: wall-clock
/// thresholds would be flaky on shared machines.
final class TokenizerSpeedTests: XCTestCase {
    func testEncodeThroughputOnMMLU() throws {
        let dataDirectory = Fixtures.packageRoot.appendingPathComponent("../shared/data/mmlu/test").standardizedFileURL
        let files = ((try? FileManager.default.contentsOfDirectory(at: dataDirectory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "csv" }.sorted { $0.path < $1.path }
        guard !files.isEmpty else { throw XCTSkip("no MMLU CSVs in \(dataDirectory.path)") }
        let tokenizer = try Tokenizer.fromGGUF(url: Fixtures.smolLM2())
        let cold = try Tokenizer.benchmarkMBPerSecond(tokenizer, files: files)
        print("tokenizer throughput on \(files.count) MMLU test files, cold cache: \(cold)")
        XCTAssertGreaterThan(cold.tokens, cold.bytes / 10)
        #if !DEBUG  // the warm pass only says something in optimised builds
        let warm = try Tokenizer.benchmarkMBPerSecond(tokenizer, files: files)
        print("tokenizer throughput on \(files.count) MMLU test files, warm cache: \(warm)")
        XCTAssertEqual(cold.tokens, warm.tokens)
        #endif
        // Round trip on one whole file.
        let text = try String(contentsOf: files[0], encoding: .utf8)
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode(text, addSpecial: false)), text)
    }
}
