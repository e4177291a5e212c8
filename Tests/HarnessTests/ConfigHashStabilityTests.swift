import XCTest
import Training
import Harness

/// Stores made before the method descriptors keep their finished cells: every cell of a method
/// whose descriptor does not hash its defaults (LoRA, base) has the config hash it had before
/// (prefixes printed by `metalora plan` on the tree before the change, smoke/quick/small
/// profiles); methods whose defaults changed (MeTA-LoRA's example-mean loss, the baselines'
/// released defaults) hash them, so their cells are new.
final class ConfigHashStabilityTests: XCTestCase {
    static let preChange = """
smoke table1 0 9a11d9c6d380
smoke table1 1 f6b8edde1cdf
smoke table1 2 5738be3133a3
smoke table1 3 34b228006a9c
smoke table1 4 b67fe62e0dc9
smoke table1 5 44da1c01d454
smoke table1 6 1853ba4d5bf3
smoke table10 0 e5aab6e48de3
smoke table10 1 70cca42ed179
smoke table10 2 5e9c896128c9
smoke table10 3 bfdb93080e81
smoke table11 0 5e9c896128c9
smoke table11 1 dd6bbbaef8ee
smoke table11 2 646e1be4f95e
smoke table12 0 9fbff45de072
smoke table12 1 158685e154c6
smoke table12 2 49e06428a1f5
smoke table12 3 e31d8ee539ea
smoke table12 4 fb4673a2eb2b
smoke table12 5 194b9513f28a
smoke table13 0 5b71d2bf5ee5
smoke table13 1 a200bb84de66
smoke table13 2 4f43fecabd6c
smoke table13 3 fb910e4d3161
smoke table2 0 ae874fb0da2b
smoke table2 1 eb213667e33d
smoke table2 2 fb910e4d3161
smoke table4 0 6b67a13f503b
smoke table4 1 6e1d52259c32
smoke table4 2 8cc401fc33a5
smoke table5 0 b2279f8319ff
smoke table5 1 5224829ea110
smoke table5 2 fb4673a2eb2b
smoke table6 0 5b71d2bf5ee5
smoke table6 1 f4a2a6f6acff
smoke table6 2 3d14e5cda9f2
smoke table6 3 a7224db3f72d
smoke table6 4 fb910e4d3161
smoke table6 5 95d932eb7ee0
smoke table7 0 406e76c5d5a1
smoke table7 1 e23d225191c6
smoke table7 2 388303530096
smoke table8 0 5e9c896128c9
smoke table8 1 4d356cb53c5a
smoke table8 2 74633fc2c9ea
smoke table8 3 d3cbcf147a8b
smoke table9 0 b556f4994e66
smoke table9 1 5e9c896128c9
smoke table9 2 29cf8b9ac002
smoke figure2 0 5eac16139bf5
smoke figure2 1 1c4f5c54fe02
smoke figure2 2 fb910e4d3161
smoke figure2 3 95d932eb7ee0
quick table1 0 f30fd9af75b7
quick table1 1 4c338cf93617
quick table1 2 4947dc5639d0
quick table1 3 d98c581c0d89
quick table1 4 33350d0ccd36
quick table1 5 021840ddc95e
quick table1 6 b7509789d063
quick table10 0 2ed29f7092d0
quick table10 1 81a3fea0078c
quick table10 2 5b44db8928e2
quick table10 3 479587798d8c
quick table11 0 5b44db8928e2
quick table11 1 d2ad8d11e6b7
quick table11 2 34589db19d27
quick table12 0 285c2c6c0acb
quick table12 1 f5e21af77014
quick table12 2 7fab510f2ada
quick table12 3 d602d3df526e
quick table12 4 02af45955d96
quick table12 5 12c7b8b8e2d4
quick table13 0 78da9246f4cc
quick table13 1 fbd9138c2ab1
quick table13 2 4648d03b1f1b
quick table13 3 ecf529b2383b
quick table2 0 247a49b25bc5
quick table2 1 1a3ffb4ead7f
quick table2 2 ecf529b2383b
quick table4 0 0ebda4fe6f6d
quick table4 1 ec5e5490a999
quick table4 2 43f40ce78938
quick table5 0 2e47d5425a7a
quick table5 1 9aa455bf6710
quick table5 2 02af45955d96
quick table6 0 78da9246f4cc
quick table6 1 7e30a5a34335
quick table6 2 ac1788c503a8
quick table6 3 a8306f79da76
quick table6 4 ecf529b2383b
quick table6 5 9508a5fa7380
quick table7 0 38d097d958f5
quick table7 1 a6361ca939bf
quick table7 2 b2b542a1e080
quick table8 0 5b44db8928e2
quick table8 1 be3fb5c3a682
quick table8 2 cb4f22750e9c
quick table8 3 34cb8dbe80d9
quick table9 0 9366c2d44cb1
quick table9 1 5b44db8928e2
quick table9 2 b4d8abd6a759
quick figure2 0 fe06495f3262
quick figure2 1 c960203e369c
quick figure2 2 ecf529b2383b
quick figure2 3 9508a5fa7380
small table1 0 01d7d090ff74
small table1 1 86303a21b4fa
small table1 2 200064d93518
small table1 3 ad2dd847a129
small table1 4 a8480b641c42
small table1 5 cd90fed7c139
small table1 6 eafd7c9853a3
small table10 0 b1c884dff4ba
small table10 1 adc80c1a2088
small table10 2 717aad4b36d3
small table10 3 e3ae6551f6f5
small table11 0 717aad4b36d3
small table11 1 84d8cef75725
small table11 2 33d5ebd81ad7
small table12 0 d746e145d801
small table12 1 36fab6eefcbe
small table12 2 8b9f5b38590a
small table12 3 9b02e596b39f
small table12 4 11a666d0cfc3
small table12 5 75be3588048a
small table12 6 a91ca95ec0db
small table12 7 f141bfb0be60
small table12 8 6455e2767a1d
small table12 9 004a6de9786a
small table12 10 853e2da2efb0
small table12 11 123e5aa47bb7
small table12 12 620d55ac8f5d
small table12 13 d78765a2bbf8
small table12 14 a972b28d2f46
small table12 15 6d1f9aa10323
small table12 16 4b701656fcb0
small table12 17 1703397c8a93
small table13 0 e665d88aaebf
small table13 1 c5582bbbca19
small table13 2 62b635f89978
small table13 3 1738d3a9f2be
small table2 0 a0f020da0587
small table2 1 9816ad2bc466
small table2 2 ffe08c875e0f
small table2 3 7c20e9b2799e
small table2 4 0eb9142cc926
small table2 5 54897aad905e
small table2 6 1738d3a9f2be
small table2 7 890678fd720a
small table2 8 0ba81e3f02ce
small table4 0 25cd9039165e
small table4 1 bba17f4fdcc0
small table4 2 3e969cc6c0f5
small table5 0 b3ba9e1a8133
small table5 1 4e11013be469
small table5 2 bfc221f3c6d7
small table5 3 3119a1e7b740
small table5 4 25ec413650dd
small table5 5 1db3c60d1342
small table5 6 620d55ac8f5d
small table5 7 d78765a2bbf8
small table5 8 a972b28d2f46
small table6 0 e665d88aaebf
small table6 1 be7f395d917f
small table6 2 01960777d006
small table6 3 2ceece4641bf
small table6 4 0632fc451a4d
small table6 5 705947d5c24d
small table6 6 4a925e8ed69c
small table6 7 2cae272ec175
small table6 8 471426b02717
small table6 9 eb66f2ccb3c5
small table6 10 d54f571f4c11
small table6 11 53643b576dd8
small table6 12 1738d3a9f2be
small table6 13 890678fd720a
small table6 14 0ba81e3f02ce
small table6 15 e8aff69c5c63
small table6 16 8d227de10c34
small table6 17 870ab1268f12
small table7 0 9bdd208353c8
small table7 1 8fd01632ef37
small table7 2 0fce22d7e71e
small table8 0 717aad4b36d3
small table8 1 ef143dabec0f
small table8 2 156d37d01ea8
small table8 3 446bc39f6082
small table9 0 46b9e5cbde1b
small table9 1 717aad4b36d3
small table9 2 72fe9dec1978
small figure2 0 01ec5a8e213c
small figure2 1 9a36a7b813fd
small figure2 2 1738d3a9f2be
small figure2 3 e8aff69c5c63
"""

    func testHashesOfUnchangedMethodsAreThePreChangeOnes() throws {
        let paths = TestEnv.repoPaths
        var compared = 0, changed = 0
        for line in Self.preChange.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            // Deliberate changes of science since: quick and small scale every method's samples by
            // one factor (Table 7's proportions), so their cells are new; table2 gained a Base row
            // in front; on smoke, budgets above a spec's smallest are scaled with it instead of cut
            // to the cap (data-scale tables keep distinct budgets).
            if f[0] != "smoke" { continue }
            let spec = try ExperimentSpec.load(paths.spec(f[1]))
            let profile = try Profile.named(f[0], in: paths.profiles)
            let index = Int(f[2])! + (f[1] == "table2" ? 1 : 0)
            let cell = try Planner.plan(spec, profile: profile)[index]
            if case .perTask(let n) = cell.budget, n > (spec.methods.flatMap(\.budgets).compactMap { b -> Int? in
                if case .perTask(let m) = b { return m } else { return nil } }.min() ?? n) { continue }
            if cell.descriptor.hashesDefaults {
                XCTAssertNotEqual(String(cell.configHash.prefix(12)), f[3], "\(line): \(cell.method) hashes its defaults now")
                changed += 1
            } else {
                XCTAssertEqual(String(cell.configHash.prefix(12)), f[3], "\(line): \(cell.methodLabel) changed hash")
                compared += 1
            }
        }
        XCTAssertGreaterThanOrEqual(compared, 12)
        XCTAssertGreaterThanOrEqual(changed, 30)
    }
}
