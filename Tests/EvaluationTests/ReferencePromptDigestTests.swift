import XCTest
import Evaluation

/// Every prompt of every benchmark, hashed, equals an independent Python rendering of the
/// lm-eval templates over the same mirror (Python `str` semantics: strip, [:-1], lower, csv).
/// The digests were produced by a reference script (FNV-1a 64 over UTF-8; per item
/// context + "\0" + continuations joined by "\u{1}" + "\u{2}"; generation items use the target
/// as the only continuation; Winograd hashes each context with the shared continuation).
final class ReferencePromptDigestTests: XCTestCase {
    static let expected: [String: UInt64] = [
        "mmlu": 0x17ceddcec0856295,
        "xcopa": 0x48fc927da35b3582,
        "xstorycloze": 0x71560850f33dd675,
        "xwinograd": 0xc95199392f96fe4d,
        "exams": 0x592babc4d7f4ffe5,
        "bbh-direct": 0x1e2ceeaac504c07b,
        "bbh-cot": 0xff40200fca38fca9,
    ]

    static func fnv(_ h: inout UInt64, _ s: String) {
        for b in s.utf8 { h ^= UInt64(b); h = h &* 0x100000001b3 }
    }

    static func digest(_ p: PreparedBenchmark) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for subset in p.subsets {
            for item in p.items[subset] ?? [] {
                switch item.task {
                case .multipleChoice(let c, let k, _, _): fnv(&h, c + "\u{0}" + k.joined(separator: "\u{1}") + "\u{2}")
                case .generation(let prompt, let target): fnv(&h, prompt + "\u{0}" + target + "\u{2}")
                case .partialScoring(let contexts, let k, _): for c in contexts { fnv(&h, c + "\u{0}" + k + "\u{2}") }
                }
            }
        }
        return h
    }

    func check(_ key: String, _ name: String, variant: String? = nil) throws {
        let data = try MirrorData.directory()
        let p = try ItemPreparation.prepare(try BenchmarkRegistry.definition(name: name, variant: variant),
                                            options: EvaluationOptions(dataDirectory: data))
        XCTAssertEqual(String(Self.digest(p), radix: 16), String(Self.expected[key]!, radix: 16), key)
    }

    func testMMLU() throws { try check("mmlu", "mmlu") }
    func testXCOPA() throws { try check("xcopa", "xcopa") }
    func testXStoryCloze() throws { try check("xstorycloze", "xstorycloze") }
    func testXWinograd() throws { try check("xwinograd", "xwinograd") }
    func testEXAMS() throws { try check("exams", "exams") }
    func testBBHDirect() throws { try check("bbh-direct", "bbh", variant: "direct") }
    func testBBHCoT() throws { try check("bbh-cot", "bbh", variant: "cot") }
}
