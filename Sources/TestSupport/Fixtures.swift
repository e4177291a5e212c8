import Foundation
import XCTest
import Engine
import Models

/// Locates the golden fixtures: `$METALORA_FIXTURES`, else `../shared/fixtures` relative to the
/// package root. Tests read every size and name from the files themselves.
public enum Fixtures {
    public static var directory: URL {
        if let env = ProcessInfo.processInfo.environment["METALORA_FIXTURES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.appendingPathComponent("../shared/fixtures").standardizedFileURL
    }

    /// The package root, found from this source file's location (Sources/TestSupport/Fixtures.swift).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    public static func url(_ relative: String) -> URL { directory.appendingPathComponent(relative) }

    /// The fixture file, or an XCTSkip when the fixture folder is absent (the caller sees why).
    public static func require(_ relative: String) throws -> URL {
        let u = url(relative)
        guard FileManager.default.fileExists(atPath: u.path) else {
            throw XCTSkip("fixture \(u.path) not found (set METALORA_FIXTURES)")
        }
        return u
    }

    public static func safetensors(_ relative: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(url: require(relative))
    }

    public static func json(_ relative: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: require(relative)))
    }

    /// The default SmolLM2 GGUF fetched by `make setup` (models/…); skips when absent.
    public static func smolLM2() throws -> URL {
        let env = ProcessInfo.processInfo.environment["METALORA_MODEL"]
        let u = env.map { URL(fileURLWithPath: $0) } ?? packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: u.path) else {
            throw XCTSkip("SmolLM2 model not found at \(u.path): run `make setup`")
        }
        return u
    }
}

/// Element-wise closeness: |a - b| <= atol + rtol * |b| everywhere, reporting the worst element.
public func assertClose(_ actual: [Float], _ expected: [Float], atol: Float, rtol: Float = 0,
                        _ label: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(label): count", file: file, line: line)
    var worst: (Int, Float) = (-1, 0)
    for i in 0..<min(actual.count, expected.count) {
        let d = abs(actual[i] - expected[i])
        let excess = d - (atol + rtol * abs(expected[i]))
        if excess > worst.1 || !d.isFinite { worst = (i, d.isFinite ? excess : .infinity) }
    }
    if worst.0 >= 0 {
        let i = worst.0
        XCTFail("\(label): element \(i) is \(actual[i]), expected \(expected[i]) (|diff| \(abs(actual[i] - expected[i])) > atol \(atol) + rtol \(rtol))",
                file: file, line: line)
    }
}

public func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Checks computed arrays against a fixture file's tensors of the same names (`assertClose`) and
/// keeps each name's worst |diff| for the test's printed report.
public final class FixtureComparison {
    public let file: SafeTensorsFile
    public let atol: Float
    public private(set) var worst: [String: Float] = [:]

    public init(_ file: SafeTensorsFile, atol: Float) { self.file = file; self.atol = atol }

    public func check(_ actual: [Float], _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try self.file.floats(name)
        assertClose(actual, expected, atol: atol, name, file: file, line: line)
        worst[name] = maxAbsDiff(actual, expected)
    }

    /// "name diff, …" in name order.
    public var summary: String { worst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
}

/// Skips a test of the bf16 path, with the reason, on CPUs that cannot run it natively.
public func requireBF16() throws {
    if let reason = Precision.bf16.unavailableReason() { throw XCTSkip("bf16 path not tested: \(reason)") }
}

/// A float32 value rounded to bf16 (nearest even) and widened back, as the bf16 products round inputs.
public func bf16Rounded(_ x: Float) -> Float {
    var y: UInt16 = 0
    var v = x
    RowKernelDispatch.baseline.roundToBF16(&y, &v, 1)
    return Float(bitPattern: UInt32(y) << 16)
}
