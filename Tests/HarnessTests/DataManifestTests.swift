import Foundation
import XCTest
import Harness

final class DataManifestTests: HarnessTestCase {
    var mirror: URL { TestEnv.sharedData }

    func requireMirror() throws {
        guard FileManager.default.fileExists(atPath: mirror.appendingPathComponent("SHA256SUMS").path) else {
            throw XCTSkip("no data mirror at \(mirror.path)")
        }
    }

    func testCommittedManifestCoversTheMirrorAndMatchesTheBuilder() throws {
        let committed = try DataManifest.load(TestEnv.repoPaths.dataManifest)
        try requireMirror()
        let sums = try String(contentsOf: mirror.appendingPathComponent("SHA256SUMS"), encoding: .utf8).split(separator: "\n")
        try requireMirror()
        XCTAssertEqual(committed.files.count, sums.count)
        let built = try DataManifestBuilder.build(dataDir: mirror)
        if ProcessInfo.processInfo.environment["METALORA_WRITE_MANIFEST"] == "1" { try built.write(to: TestEnv.repoPaths.dataManifest) }
        XCTAssertTrue(built == committed, "the committed manifest differs from the builder's: regenerate with METALORA_WRITE_MANIFEST=1")
        let mmlu = try XCTUnwrap(committed.files.first { $0.path == "mmlu/test/anatomy_test.csv" })
        XCTAssertEqual(mmlu.repository, "HaeChan0305/MLILAB-FedLLM")
        XCTAssertEqual(mmlu.sourceURL, "https://raw.githubusercontent.com/HaeChan0305/MLILAB-FedLLM/d92730e8bacd7b3a61e551e015e40588e10234b4/data/mmlu/test/anatomy_test.csv")
        XCTAssertTrue(mmlu.license.contains("MIT"), mmlu.license)
        let xcopa = try XCTUnwrap(committed.files.first { $0.path.hasPrefix("xcopa/") && $0.path.hasSuffix(".jsonl") })
        XCTAssertEqual(xcopa.license, "CC BY 4.0.")
        for f in committed.files { XCTAssertFalse(f.license.isEmpty, f.path); XCTAssertEqual(f.sha256.count, 64) }
        XCTAssertTrue(committed.files.filter { $0.path.hasPrefix("flan/") }.allSatisfy { $0.repository != nil }, "every flan folder has a provenance entry")
    }

    func testVerifyNamesMissingAndAlteredFiles() throws {
        try requireMirror()
        let manifest = try DataManifest.load(TestEnv.repoPaths.dataManifest)
        let picked = ["gsm8k/test.jsonl", "bbh/tasks/navigate.json", "xcopa/et/val.et.jsonl", "piqa/valid-labels.lst"]
        let only: (DataManifestEntry) -> Bool = { picked.contains($0.path) }
        let dir = try TestEnv.tempDir()
        for p in picked.prefix(3) {
            let d = dir.appendingPathComponent(p)
            try FileManager.default.createDirectory(at: d.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: mirror.appendingPathComponent(p), to: d)
        }
        // Alter one byte of the BBH file, keeping its size.
        let bbh = dir.appendingPathComponent(picked[1])
        var data = try Data(contentsOf: bbh); data[10] = data[10] == 65 ? 66 : 65; try data.write(to: bbh)
        let problems = try DataFiles.verify(manifest: manifest, dataDir: dir, only: only)
        XCTAssertEqual(problems.map(\.path), ["bbh/tasks/navigate.json", "piqa/valid-labels.lst"])
        XCTAssertEqual(problems.map(\.kind), [.altered, .missing])
        XCTAssertTrue(problems[0].description.hasPrefix("altered: bbh/tasks/navigate.json (sha256 "), problems[0].description)
    }

    /// Serves the mirror on 127.0.0.1 with python's http.server and fetches through URLSession.
    func testFetchFromALoopbackHTTPMirrorVerifiesAndWritesAtomically() throws {
        try requireMirror()
        let manifest = try DataManifest.load(TestEnv.repoPaths.dataManifest)
        let served = try TestEnv.tempDir()
        let picked = ["gsm8k/test.jsonl", "bbh/cot-prompts/navigate.txt", "xcopa/et/val.et.jsonl", "xstorycloze/en_train.jsonl"]
        for p in picked {
            let d = served.appendingPathComponent(p)
            try FileManager.default.createDirectory(at: d.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: mirror.appendingPathComponent(p), to: d)
        }
        // The server's copy of one file is corrupt: fetch must refuse it.
        try Data("tampered".utf8).write(to: served.appendingPathComponent(picked[3]))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", served.path]
        let out = Pipe(); server.standardOutput = out; server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        var banner = ""
        let ok = TestEnv.waitUntil(timeout: 20) {
            banner += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            return banner.contains("port ")
        }
        XCTAssertTrue(ok, "server did not start: \(banner)")
        let port = try XCTUnwrap(banner.components(separatedBy: "port ").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) })
        let dest = try TestEnv.tempDir()
        var log: [String] = []
        let s = try DataFiles.fetch(manifest: manifest, dataDir: dest, mirror: "http://127.0.0.1:\(port)/", only: { picked.contains($0.path) }) { log.append($0) }
        XCTAssertEqual(s.fetched, Array(picked.prefix(3)).sorted(), log.joined(separator: "\n"))
        XCTAssertEqual(s.failed.count, 1)
        XCTAssertTrue(s.failed[0].contains("does not match the manifest"), s.failed[0])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dest.appendingPathComponent(picked[3]).path), "a bad download is never written")
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: dest.path).filter { $0.contains(".part-") }
        XCTAssertEqual(leftovers, [])
        let problems = try DataFiles.verify(manifest: manifest, dataDir: dest, only: { picked.prefix(3).contains($0.path) })
        XCTAssertEqual(problems, [])
        // A second fetch finds them present.
        let again = try DataFiles.fetch(manifest: manifest, dataDir: dest, mirror: "http://127.0.0.1:\(port)/", only: { picked.prefix(3).contains($0.path) }) { _ in }
        XCTAssertEqual(again.present, 3); XCTAssertEqual(again.fetched, [])
    }

    func testFetchFromAFolderMirrorAndWithoutASource() throws {
        try requireMirror()
        let manifest = try DataManifest.load(TestEnv.repoPaths.dataManifest)
        let dest = try TestEnv.tempDir()
        let s = try DataFiles.fetch(manifest: manifest, dataDir: dest, mirror: mirror.path, only: { $0.path == "siqa/dev-labels.lst" }) { _ in }
        XCTAssertEqual(s.fetched, ["siqa/dev-labels.lst"])
        // SIQA was unpacked from a zip: no direct source URL, so fetching without a mirror says so.
        let s2 = try DataFiles.fetch(manifest: manifest, dataDir: try TestEnv.tempDir(), mirror: nil, only: { $0.path == "siqa/dev-labels.lst" }) { _ in }
        XCTAssertTrue(s2.failed.first?.contains("no direct source URL") ?? false, "\(s2.failed)")
    }
}
