import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import Harness

final class LossCurveSVGTests: XCTestCase {
    /// Well-formed XML with one polyline per split, a dot per held-out point, the legend, and
    /// points placed in the plot by step and loss (higher loss higher up).
    func testRendersEachSplitAndTheHeldOutPoints() throws {
        let points = [LossPoint(step: 1, loss: 2.0, split: "train"), LossPoint(step: 2, loss: 1.5, split: "train"),
                      LossPoint(step: 3, loss: 1.2, split: "train"), LossPoint(step: 0, loss: 2.2, split: "eval"),
                      LossPoint(step: 3, loss: 1.4, split: "eval"), LossPoint(step: 2, loss: .nan, split: "train")]
        let svg = LossCurveSVG.render(points, title: "t2 · LoRA <&>")
        let doc = try XMLDocument(xmlString: svg, options: [])
        let polylines = try doc.nodes(forXPath: "//*[local-name()='polyline']")
        XCTAssertEqual(polylines.count, 2)
        XCTAssertEqual(try doc.nodes(forXPath: "//*[local-name()='circle']").count, 2, "one dot per held-out point")
        XCTAssertTrue(svg.contains(">held-out<") && svg.contains(">train<") && svg.contains("t2 · LoRA &lt;&amp;&gt;"))
        XCTAssertTrue(svg.contains("1 non-finite omitted"))
        // On Linux, Foundation's XMLElement.attribute(forName:) finds no attribute on these
        // namespaced SVG nodes, so the first polyline's (train's) points are read from the text.
        let firstPolyline = try XCTUnwrap(svg.range(of: "<polyline[^>]*points=\"[^\"]*\"", options: .regularExpression))
        let pointsAttribute = try XCTUnwrap(svg[firstPolyline].range(of: "points=\"[^\"]*", options: .regularExpression))
        let train = String(svg[firstPolyline][pointsAttribute].dropFirst("points=\"".count))
        let coords = train.split(separator: " ").map { $0.split(separator: ",").map { Double($0)! } }
        XCTAssertEqual(coords.count, 3)
        XCTAssertLessThan(coords[0][0], coords[2][0], "later steps further right")
        XCTAssertLessThan(coords[0][1], coords[2][1], "higher loss higher up")
    }

    func testEmptyCurveStillRenders() throws {
        let svg = LossCurveSVG.render([], title: "empty")
        XCTAssertNoThrow(try XMLDocument(xmlString: svg, options: []))
        XCTAssertTrue(svg.contains("no finite loss recorded"))
    }
}
