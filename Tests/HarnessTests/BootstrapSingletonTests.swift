import XCTest
import Harness

/// One item per subject (a profile's eval_limit of 1): stratified resampling alone would redraw
/// each item every time and report a zero-width interval with p < 0.0001.
final class BootstrapSingletonTests: XCTestCase {
    func testOneItemStrataArePooled() throws {
        let strata: [[Double]] = [[1], [0], [0], [-1], [1], [0], [1], [0]]
        let r = try XCTUnwrap(PairedBootstrap.run(strata: strata, weighting: .macro))
        XCTAssertEqual(r.difference, 0.25, accuracy: 1e-12)
        XCTAssertLessThan(r.low, r.difference)
        XCTAssertGreaterThan(r.high, r.difference)
        XCTAssertGreaterThan(r.pValue, 0.05, "a mean difference of 2 items in 8 is not significant")
    }
}
