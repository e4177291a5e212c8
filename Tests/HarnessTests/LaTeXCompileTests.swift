import Foundation
import XCTest
import Harness

/// The `.tex` tables compile with pdflatex (Debian texlive-latex-base + booktabs) in a plain
/// article: every escape, the resizebox and the deviation block. Skipped, saying so, where
/// pdflatex or booktabs is not installed.
final class LaTeXCompileTests: HarnessTestCase {
    func which(_ tool: String, _ args: [String] = []) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let out = Pipe(); p.standardOutput = out; p.standardError = Pipe()
        do { try p.run() } catch { return nil }
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return p.terminationStatus == 0 && !text.isEmpty ? text : nil
    }

    func testTable2CompilesWithPdflatex() throws {
        guard which("pdflatex", ["--version"]) != nil else { throw XCTSkip("pdflatex is not installed (Debian: texlive-latex-base)") }
        guard which("kpsewhich", ["booktabs.sty"]) != nil else { throw XCTSkip("booktabs.sty is not installed (Debian: texlive-latex-recommended)") }
        let dir = try TestEnv.tempDir()
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path)
        let profile = try Profile.named("smoke", in: TestEnv.repoPaths.profiles)
        var body = ""
        for table in ["2", "1", "7"] {
            body += try Tables.render(table, paths: TestEnv.repoPaths, store: store, profile: profile, formats: [.latex], diff: true, write: false).text
            body += "\n\\clearpage\n"
        }
        let document = "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n\\usepackage{booktabs}\n\\usepackage{graphicx}\n"
            + "\\usepackage{amssymb}\n\\begin{document}\n" + body + "\\end{document}\n"
        let tex = dir.appendingPathComponent("tables.tex")
        try document.write(to: tex, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-output-directory", dir.path, tex.path]
        p.currentDirectoryURL = dir
        let out = Pipe(); p.standardOutput = out; p.standardError = out
        try p.run()
        let log = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, String(log.suffix(3000)))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("tables.pdf").path))
    }
}
