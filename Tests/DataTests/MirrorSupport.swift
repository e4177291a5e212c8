import Foundation
import XCTest
import Data
import TestSupport

/// The data mirror for tests: `$METALORA_DATA`, else the package's `data/` link; tests that
/// need it skip when it is absent.
enum Mirror {
    static func directory() throws -> DataDirectory {
        let dir: DataDirectory
        if let env = ProcessInfo.processInfo.environment["METALORA_DATA"], !env.isEmpty {
            dir = DataDirectory(path: env)
        } else {
            dir = DataDirectory(root: Fixtures.packageRoot.appendingPathComponent("data"))
        }
        guard dir.exists("README.md") else {
            throw XCTSkip("data mirror not found at \(dir.root.path): run `make setup` or set METALORA_DATA")
        }
        return dir
    }

    /// The first JSON object of a JSONL file, read independently of the Data module.
    static func firstJSONLine(_ dir: DataDirectory, _ file: String) throws -> [String: Any] {
        let text = try String(contentsOf: dir.url(file), encoding: .utf8)
        let line = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")[0]
        return try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    }

    static func firstLine(_ dir: DataDirectory, _ file: String) throws -> String {
        let text = try String(contentsOf: dir.url(file), encoding: .utf8)
        return text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")[0].trimmingCharacters(in: .whitespaces)
    }
}
