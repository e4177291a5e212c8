import Foundation
import XCTest
import Engine
import Harness

/// `precision:` in specs and profiles: f32 (given or not) keeps the hashes stores already hold,
/// bf16 changes them; the spec's value wins over the profile's; a bad value names the file.
final class PrecisionKeyTests: HarnessTestCase {
    let paths = TestEnv.repoPaths

    func profile(_ extra: String) throws -> Profile {
        try Profile.parseAll(text: """
        profiles:
          p:
            description: test
            model: m.gguf
        \(extra)
        """, file: "profiles-test.yaml")["p"]!
    }

    func testPrecisionIsHashedOnlyWhenNotFloat32() throws {
        let text = try String(contentsOf: paths.spec("table2"), encoding: .utf8)
        let plain = try ExperimentSpec.parse(text: text, file: "table2.yaml")
        let f32 = try ExperimentSpec.parse(text: text + "\nprecision: f32\n", file: "table2.yaml")
        let bf16 = try ExperimentSpec.parse(text: text + "\nprecision: bf16\n", file: "table2.yaml")
        let p = try profile("")
        let a = try Planner.plan(plain, profile: p), b = try Planner.plan(f32, profile: p), c = try Planner.plan(bf16, profile: p)
        XCTAssertEqual(a.map(\.configHash), b.map(\.configHash), "explicit f32 keeps the hashes")
        XCTAssertTrue(zip(a, c).allSatisfy { $0.configHash != $1.configHash }, "bf16 is a different experiment")
        XCTAssertTrue(c.allSatisfy { $0.precision == .bf16 && $0.configJSON.contains("\"precision\":\"bf16\"") })
        XCTAssertFalse(a[0].configJSON.contains("precision"))
        // The profile's precision applies where the spec sets none; the spec's wins.
        let bf16Profile = try profile("    precision: bf16")
        XCTAssertTrue(try Planner.plan(plain, profile: bf16Profile).allSatisfy { $0.precision == .bf16 })
        XCTAssertTrue(try Planner.plan(f32, profile: bf16Profile).allSatisfy { $0.precision == .f32 })
        XCTAssertThrowsError(try profile("    precision: fp8")) { error in
            XCTAssertTrue("\(error)".contains("profiles-test.yaml") && "\(error)".contains("f32 or bf16"), "\(error)")
        }
    }
}
