import Foundation

/// Where the data mirror lives: an explicit `--data-dir`, else `$METALORA_DATA`, else `data/`
/// relative to the current directory (the ignored link `make setup` creates).
public struct DataDirectory: Sendable {
    public var root: URL

    public init(root: URL) { self.root = root }

    public init(path: String) { self.root = URL(fileURLWithPath: path) }

    /// The default resolution order; `explicit` is the CLI's `--data-dir` when given.
    public static func resolve(explicit: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> DataDirectory {
        if let explicit, !explicit.isEmpty { return DataDirectory(path: explicit) }
        if let env = environment["METALORA_DATA"], !env.isEmpty { return DataDirectory(path: env) }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return DataDirectory(root: cwd.appendingPathComponent("data"))
    }

    /// This directory, or `DataError.missingDirectory` when it does not exist (the evaluator's and
    /// harness's entry points check before reading anything).
    public func existing() throws -> DataDirectory {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw DataError.missingDirectory(path: root.standardizedFileURL.path)
        }
        return self
    }

    public func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    public func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: url(relative).path)
    }

    /// The file's bytes, or `DataError.missingFile` naming the full path.
    public func contents(_ relative: String) throws -> Data {
        let u = url(relative)
        guard FileManager.default.fileExists(atPath: u.path) else { throw DataError.missingFile(path: u.path) }
        return try Data(contentsOf: u)
    }

    public func text(_ relative: String) throws -> String {
        let data = try contents(relative)
        guard let s = String(data: data, encoding: .utf8) else {
            throw DataError.malformedRow(file: relative, line: 0, reason: "file is not valid UTF-8")
        }
        // A UTF-8 byte-order mark (GLUE MRPC's header starts with one) is not part of the data.
        return s.hasPrefix("\u{FEFF}") ? String(s.dropFirst()) : s
    }
}
