import XCTest
import Engine
import Evaluation

/// The window planner of prefix-reuse scoring: windows cover the items in order, respect the
/// cache and packing limits, compute shared passages once, and are the least-work split.
final class ScoringWindowPlannerTests: XCTestCase {
    typealias Item = ScoringWindowPlanner.Item

    /// SmolLM2-135M's work per token and per (query, key) pair, rounded.
    func planner(itemsPerForward: Int = 16, maxRows: Int = 64, maxWindowTokens: Int = 8192) -> ScoringWindowPlanner {
        ScoringWindowPlanner(itemsPerForward: itemsPerForward, maxRows: maxRows, maxWindowTokens: maxWindowTokens,
                             tokenWork: 6.4e9 / 30, pairWork: 69_120)
    }

    /// Items behind one few-shot block of `fewShot` tokens, in groups of `count` items that also
    /// share a passage of `passage` tokens (0: none); each item has `own` tokens of its own, plus
    /// its group's index so groups differ in length.
    func items(fewShot: Int, groups: [(count: Int, passage: Int)], own: Int) -> ([Item], [Int]) {
        var items: [Item] = [], commonPrefix: [Int] = []
        for (g, group) in groups.enumerated() {
            for k in 0..<group.count {
                if !items.isEmpty { commonPrefix.append(k == 0 ? fewShot : fewShot + group.passage) }
                items.append(Item(contextLength: fewShot + group.passage + own + g, branches: 0, branchTokens: 0))
            }
        }
        return (items, commonPrefix)
    }

    func testEachSharedPassageGetsItsOwnWindow() {
        // Three questions on passage A, three on passage B, three without a passage.
        let (items, commonPrefix) = items(fewShot: 500, groups: [(3, 300), (3, 400), (3, 0)], own: 60)
        let windows = planner().plan(items, commonPrefix: commonPrefix)
        XCTAssertEqual(windows.map(\.groups), [0..<3, 3..<6, 6..<9])
        XCTAssertEqual(windows.map(\.shared), [800, 900, 500])
    }

    func testQuestionsBehindOnlyTheFewShotBlockFillWholeWindows() {
        let (items, commonPrefix) = items(fewShot: 500, groups: [(40, 0)], own: 80)
        let windows = planner().plan(items, commonPrefix: commonPrefix)
        XCTAssertEqual(windows.count, 3, "40 items, 16 per window")
        XCTAssertEqual(Set(windows.map(\.shared)), [500])
    }

    func testWindowsRespectRowsAndPackedTokens() {
        var generator = SplitMix64(seed: 7)
        let items = (0..<60).map { _ in
            let branches = Int(generator.next() % 3)
            return Item(contextLength: 20 + Int(generator.next() % 400), branches: branches, branchTokens: branches * 5)
        }
        let commonPrefix = (0..<59).map { i in
            min(Int(generator.next() % 300), items[i].contextLength - 1, items[i + 1].contextLength - 1)
        }
        let planner = planner(itemsPerForward: 8, maxRows: 12, maxWindowTokens: 1500)
        let windows = planner.plan(items, commonPrefix: commonPrefix)
        XCTAssertEqual(windows.first?.groups.lowerBound, 0)
        XCTAssertEqual(windows.last?.groups.upperBound, items.count)
        for (a, b) in zip(windows, windows.dropFirst()) { XCTAssertEqual(a.groups.upperBound, b.groups.lowerBound) }
        for window in windows where window.groups.count > 1 {
            let members = window.groups.map { items[$0] }
            XCTAssertLessThanOrEqual(window.groups.count, 8)
            XCTAssertLessThanOrEqual(1 + window.groups.count + window.branches, 12)
            XCTAssertLessThanOrEqual(members.reduce(0) { $0 + $1.contextLength - window.shared }, 1500)
            XCTAssertEqual(window.branches, members.reduce(0) { $0 + $1.branches })
        }
    }

    /// The dynamic programme finds the least-work split: checked against every split of small
    /// random instances, with the work evaluated window by window.
    func testPlanIsTheLeastWorkSplit() {
        var generator = SplitMix64(seed: 11)
        for _ in 0..<40 {
            let n = 1 + Int(generator.next() % 9)
            let items = (0..<n).map { _ in Item(contextLength: 30 + Int(generator.next() % 300), branches: 0, branchTokens: 0) }
            let commonPrefix = (0..<max(n - 1, 0)).map { i in
                min(Int(generator.next() % 250), items[i].contextLength - 1, items[i + 1].contextLength - 1)
            }
            let planner = planner(itemsPerForward: 4, maxWindowTokens: 900)
            let planned = planner.plan(items, commonPrefix: commonPrefix)
            let plannedWork = planner.work(ofSplit: planned.map(\.groups), items, commonPrefix: commonPrefix)!
            for window in planned {
                let prefix = ([items[window.groups.lowerBound].contextLength - 1] + commonPrefix[window.groups.dropLast()]).min()!
                XCTAssertEqual(window.shared, prefix)
            }
            var bestWork = Double.infinity
            // Every split: bit i of `cuts` set means a window ends after item i.
            for cuts in 0..<(1 << max(n - 1, 0)) {
                var windows: [Range<Int>] = [], start = 0
                for i in 0..<n where i == n - 1 || cuts & (1 << i) != 0 { windows.append(start..<(i + 1)); start = i + 1 }
                guard let work = planner.work(ofSplit: windows, items, commonPrefix: commonPrefix) else { continue }
                bestWork = min(bestWork, work)
            }
            XCTAssertEqual(plannedWork, bestWork, accuracy: bestWork * 1e-12, "n \(n): planned split is not the least work")
        }
    }
}
