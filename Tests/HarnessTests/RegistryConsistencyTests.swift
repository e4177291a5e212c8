import XCTest
import Harness
import Data
import Evaluation

/// The names specs may use must be the names the trainer and evaluator actually implement.
final class RegistryConsistencyTests: XCTestCase {
    func testSettingsAndTasksMatchTheDataRegistry() throws {
        for info in Registry.settings {
            let setting = try TaskRegistry.setting(info.name)
            if info.tasks.isEmpty { continue }
            XCTAssertEqual(info.tasks.sorted(), (setting.tasks.map(\.id) + setting.missing.map { $0.name.lowercased() }).sorted(), info.name)
        }
        XCTAssertEqual(Set(Registry.settingNames), Set(TaskRegistry.settings.map(\.id)))
    }

    func testBenchmarksMatchTheEvaluationRegistry() throws {
        for name in Registry.benchmarks { XCTAssertNoThrow(try BenchmarkRegistry.definition(name: name), name) }
        for variant in Registry.bbhVariants { XCTAssertNoThrow(try BenchmarkRegistry.definition(name: "bbh", variant: variant), variant) }
    }
}
