// The data manifest (data-manifest.json): for every file the project reads from the data mirror,
// its relative path, sha256, size, source (repository, pinned commit, URL) and license. Metadata
// only; `verify` checks a data folder against it and `fetch` fills gaps, verifying each checksum.
import Foundation
import Engine
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

public struct DataManifestEntry: Codable, Equatable, Sendable {
    public var path: String
    public var sha256: String
    public var size: Int
    /// "owner/name" on GitHub, nil when the provenance names none.
    public var repository: String?
    public var commit: String?
    /// A direct download of this exact file at the pinned commit, when the mirror file is a
    /// byte-identical copy of one repository file; nil for files unpacked from archives or renamed.
    public var sourceURL: String?
    /// The repository tree at the pinned commit (where to look by hand).
    public var sourceTree: String?
    public var license: String
    public var provenance: String

    enum CodingKeys: String, CodingKey {
        case path, sha256, size, repository, commit, license, provenance
        case sourceURL = "source_url", sourceTree = "source_tree"
    }
}

public struct DataManifest: Codable, Equatable, Sendable {
    public var description: String
    public var files: [DataManifestEntry]

    public static func load(_ url: URL) throws -> DataManifest {
        try JSONDecoder().decode(DataManifest.self, from: Data(contentsOf: url))
    }

    public func write(to url: URL) throws {
        let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try e.encode(self).write(to: url, options: .atomic)
    }
}

public struct DataProblem: Equatable, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable { case missing, altered, wrongSize = "wrong size" }
    public let path: String
    public let kind: Kind
    public let detail: String
    public var description: String { "\(kind.rawValue): \(path)\(detail.isEmpty ? "" : " (\(detail))")" }
}

public enum DataFetchError: Error, CustomStringConvertible {
    case noSource(path: String)
    case download(path: String, url: String, detail: String)
    case checksum(path: String, expected: String, got: String, from: String)
    public var description: String {
        switch self {
        case .noSource(let p): return "\(p): the manifest records no direct source URL (it was unpacked or renamed); use --from with a mirror"
        case .download(let p, let u, let d): return "\(p): download from \(u) failed: \(d)"
        case .checksum(let p, let e, let g, let f): return "\(p): sha256 \(g) from \(f) does not match the manifest's \(e); nothing was written"
        }
    }
}

public enum DataFiles {
    /// Checks every manifest file in `dataDir`: missing, wrong size, or altered (sha256 differs).
    public static func verify(manifest: DataManifest, dataDir: URL, only: ((DataManifestEntry) -> Bool)? = nil) throws -> [DataProblem] {
        var problems: [DataProblem] = []
        for e in manifest.files where only?(e) ?? true {
            let u = dataDir.appendingPathComponent(e.path)
            guard let attrs = try? FileManager.default.attributesOfItem(atPath: u.path) else {
                problems.append(DataProblem(path: e.path, kind: .missing, detail: "")); continue
            }
            let size = (attrs[.size] as? NSNumber)?.intValue ?? -1
            if size != e.size { problems.append(DataProblem(path: e.path, kind: .wrongSize, detail: "\(size) bytes, expected \(e.size)")); continue }
            let h = try SHA256.hex(ofFile: u)
            if h != e.sha256 { problems.append(DataProblem(path: e.path, kind: .altered, detail: "sha256 \(h.prefix(12))…, expected \(e.sha256.prefix(12))…")) }
        }
        return problems
    }

    public struct FetchSummary: Equatable { public var fetched: [String] = []; public var present = 0; public var failed: [String] = [] }

    /// Fills missing or altered files of `dataDir` from `mirror` (an http(s) base URL or a folder
    /// laid out like the data mirror), or, with no mirror, from each file's recorded source URL.
    /// Every file is checked against its sha256 before it is moved into place (atomic rename).
    public static func fetch(manifest: DataManifest, dataDir: URL, mirror: String?, only: ((DataManifestEntry) -> Bool)? = nil,
                             log: (String) -> Void = { print($0) }) throws -> FetchSummary {
        var summary = FetchSummary()
        let wanted = manifest.files.filter { only?($0) ?? true }
        let problems = Set(try verify(manifest: DataManifest(description: manifest.description, files: wanted), dataDir: dataDir).map(\.path))
        for e in wanted {
            guard problems.contains(e.path) else { summary.present += 1; continue }
            do {
                let (data, from) = try download(e, mirror: mirror)
                let got = SHA256.hex(of: data)
                guard got == e.sha256 else { throw DataFetchError.checksum(path: e.path, expected: e.sha256, got: got, from: from) }
                let dest = dataDir.appendingPathComponent(e.path)
                try FileManager.default.createDirectory(at: dest.deletingLastPathComponent(), withIntermediateDirectories: true)
                // Write beside the destination, then rename: a reader never sees a partial file.
                let tmp = dest.deletingLastPathComponent().appendingPathComponent(".\(dest.lastPathComponent).part-\(getpid())")
                try data.write(to: tmp)
                if FileManager.default.fileExists(atPath: dest.path) { try FileManager.default.removeItem(at: dest) }
                try FileManager.default.moveItem(at: tmp, to: dest)
                summary.fetched.append(e.path)
                log("fetched \(e.path) (\(data.count) bytes) from \(from)")
            } catch {
                summary.failed.append("\(error)")
                log("\(error)")
            }
        }
        return summary
    }

    static func download(_ e: DataManifestEntry, mirror: String?) throws -> (Data, String) {
        let source: String
        if let m = mirror {
            if m.hasPrefix("http://") || m.hasPrefix("https://") {
                source = (m.hasSuffix("/") ? m : m + "/") + e.path.split(separator: "/").map {
                    String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }.joined(separator: "/")
            } else {
                let u = URL(fileURLWithPath: m).appendingPathComponent(e.path)
                do { return (try Data(contentsOf: u), u.path) } catch {
                    throw DataFetchError.download(path: e.path, url: u.path, detail: error.localizedDescription)
                }
            }
        } else {
            guard let s = e.sourceURL else { throw DataFetchError.noSource(path: e.path) }
            source = s
        }
        guard let url = URL(string: source) else { throw DataFetchError.download(path: e.path, url: source, detail: "not a URL") }
        return (try httpGet(url, path: e.path), source)
    }

    /// A blocking GET through URLSession (FoundationNetworking on Linux).
    static func httpGet(_ url: URL, path: String) throws -> Data {
        final class Box: @unchecked Sendable { var data: Data?; var error: String? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        var req = URLRequest(url: url); req.timeoutInterval = 60
        let task = URLSession.shared.dataTask(with: req) { data, response, error in
            if let e = error { box.error = e.localizedDescription }
            else if let h = response as? HTTPURLResponse, h.statusCode != 200 { box.error = "HTTP \(h.statusCode)" }
            else { box.data = data ?? Data() }
            done.signal()
        }
        task.resume()
        done.wait()
        guard let d = box.data else { throw DataFetchError.download(path: path, url: url.absoluteString, detail: box.error ?? "no data") }
        return d
    }
}
