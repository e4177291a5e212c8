// The code version every run records: `git describe --always --tags` of the checkout, and when the
// code that builds the binary (Sources/, Package.swift) differs from that commit, "-dirty." and the
// first 12 hex digits of a SHA-256 over those differences (the diff against HEAD plus the untracked
// files under Sources/, which SwiftPM compiles too). The same tree always gives the same string, so
// a Slurm sweep and its tasks agree whenever they run the same code, and two different uncommitted
// states never share a version. Edits outside the built code (README, .ci, results/) do not count.
import Foundation
import Engine

public enum CodeVersion {
    /// The paths whose content makes the binary; everything else is documentation or data.
    static let codePaths = ["Sources", "Package.swift"]

    /// The version of the checkout at `packageRoot`, or "unknown" outside a git checkout.
    public static func of(packageRoot: URL) -> String {
        let root = packageRoot.path
        guard let described = git(root, ["describe", "--always", "--tags"]).flatMap({ String(decoding: $0, as: UTF8.self).trimmed }),
              !described.isEmpty,
              let diff = git(root, ["diff", "HEAD", "--binary", "--no-ext-diff", "--no-color", "--"] + codePaths),
              let untrackedList = git(root, ["ls-files", "--others", "--exclude-standard", "-z", "--"] + codePaths)
        else { return "unknown" }
        let untracked = untrackedList.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.sorted()
        if diff.isEmpty && untracked.isEmpty { return described }
        var changes = Data(diff)
        for name in untracked {
            changes.append(contentsOf: Array("\u{0}untracked \(name)\u{0}".utf8))
            changes.append((try? Data(contentsOf: packageRoot.appendingPathComponent(name))) ?? Data())
        }
        return described + "-dirty." + SHA256.hex(of: changes).prefix(12)
    }

    /// `git -C root args…`'s standard output, nil when git is missing or fails.
    static func git(_ root: String, _ args: [String]) -> Data? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", root] + args
        let out = Pipe()
        p.standardOutput = out; p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? data : nil
    }
}

private extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
