import Foundation
import struct Data.DataDirectory
import enum Data.DataError
import XCTest
import Evaluation
import TestSupport

/// The data mirror for tests: `$METALORA_DATA`, else the package's `data` link, else `../shared/data`.
enum MirrorData {
    static func directory() throws -> DataDirectory {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["METALORA_DATA"], !env.isEmpty { candidates.append(env) }
        candidates.append(Fixtures.packageRoot.appendingPathComponent("data").path)
        candidates.append(Fixtures.packageRoot.appendingPathComponent("../shared/data").standardizedFileURL.path)
        for c in candidates {
            if let d = try? DataDirectory.resolve(explicit: c).existing(), d.exists("mmlu") { return d }
        }
        throw XCTSkip("data mirror not found (tried \(candidates.joined(separator: ", "))); set METALORA_DATA")
    }
}

/// A deterministic backend: log-likelihoods and generations come from closures; every request is recorded.
final class ScriptedBackend: EvaluationBackend {
    var loglikelihoodOf: (LoglikelihoodRequest) -> Double
    var generationFor: (GenerationRequest) -> String
    private(set) var loglikelihoodRequests: [LoglikelihoodRequest] = []
    private(set) var generationRequests: [GenerationRequest] = []
    private(set) var loglikelihoodCalls = 0

    init(loglikelihood: @escaping (LoglikelihoodRequest) -> Double = { _ in 0 },
         generation: @escaping (GenerationRequest) -> String = { _ in "" }) {
        loglikelihoodOf = loglikelihood
        generationFor = generation
    }

    func loglikelihoods(_ requests: [LoglikelihoodRequest], progress: (Int) -> Void) throws -> [LoglikelihoodResult] {
        loglikelihoodCalls += 1
        loglikelihoodRequests += requests
        var out: [LoglikelihoodResult] = []
        for (i, r) in requests.enumerated() {
            out.append(LoglikelihoodResult(loglikelihood: loglikelihoodOf(r), isGreedy: false, continuationTokenCount: 1))
            progress(i + 1)
        }
        return out
    }

    func generate(_ requests: [GenerationRequest], progress: (Int) -> Void) throws -> [String] {
        generationRequests += requests
        return requests.map(generationFor)
    }

    var description: String { "scripted test backend" }
}

/// A throwaway data directory with files written by the test.
final class TempDataDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("metalora-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var data: DataDirectory { DataDirectory(root: url) }

    func write(_ relative: String, _ text: String) throws {
        let f = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: f.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: f)
    }
}

/// Asserts that `body` throws an `EvaluationError` whose description contains every fragment.
func assertEvaluationError<T>(_ body: @autoclosure () throws -> T, mentions fragments: [String],
                              file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
    } catch let e as EvaluationError {
        for f in fragments where !e.description.contains(f) {
            XCTFail("error '\(e.description)' does not mention '\(f)'", file: file, line: line)
        }
    } catch let e as DataError {
        // The data mirror's own reading (files, CSV) reports through the data layer's error.
        for f in fragments where !e.description.contains(f) {
            XCTFail("error '\(e.description)' does not mention '\(f)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}
