import Foundation
import XCTest
import Harness

/// The code version: one string per state of the built code, whatever else changes in the checkout.
final class CodeVersionTests: HarnessTestCase {
    func git(_ dir: URL, _ args: String...) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", dir.path, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"] + args
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "git \(args)")
    }

    func testTheSameCodeGivesTheSameVersionAndAnyCodeChangeANewOne() throws {
        let repo = try TestEnv.tempDir()
        let source = repo.appendingPathComponent("Sources/A/a.swift")
        try FileManager.default.createDirectory(at: source.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "let a = 1\n".write(to: source, atomically: true, encoding: .utf8)
        try "# readme\n".write(to: repo.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        try git(repo, "init", "-q")
        try git(repo, "add", "-A")
        try git(repo, "commit", "-q", "-m", "first")
        let clean = CodeVersion.of(packageRoot: repo)
        XCTAssertTrue(clean.range(of: "^[0-9a-f]{7,}$", options: .regularExpression) != nil, clean)

        // Documentation and results are not code.
        try "# edited\n".write(to: repo.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("results"), withIntermediateDirectories: true)
        try "{}".write(to: repo.appendingPathComponent("results/cache.json"), atomically: true, encoding: .utf8)
        XCTAssertEqual(CodeVersion.of(packageRoot: repo), clean)

        // An edit to the code: "-dirty." and a digest of it, the same each time it is computed.
        try "let a = 2\n".write(to: source, atomically: true, encoding: .utf8)
        let edited = CodeVersion.of(packageRoot: repo)
        XCTAssertTrue(edited.hasPrefix(clean + "-dirty.") && edited.count == clean.count + 7 + 12, edited)
        XCTAssertEqual(CodeVersion.of(packageRoot: repo), edited)
        try "let a = 3\n".write(to: source, atomically: true, encoding: .utf8)
        let other = CodeVersion.of(packageRoot: repo)
        XCTAssertNotEqual(other, edited, "two uncommitted states never share a version")
        try "let a = 2\n".write(to: source, atomically: true, encoding: .utf8)
        XCTAssertEqual(CodeVersion.of(packageRoot: repo), edited, "back to the same content, back to the same version")

        // A new, untracked source file is compiled too.
        try "let b = 1\n".write(to: repo.appendingPathComponent("Sources/A/b.swift"), atomically: true, encoding: .utf8)
        let withNewFile = CodeVersion.of(packageRoot: repo)
        XCTAssertTrue(withNewFile.hasPrefix(clean + "-dirty.") && withNewFile != edited, withNewFile)

        XCTAssertEqual(CodeVersion.of(packageRoot: try TestEnv.tempDir()), "unknown", "outside a checkout")
    }
}
