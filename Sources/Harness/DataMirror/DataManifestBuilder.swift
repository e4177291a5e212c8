// Builds data-manifest.json from the data mirror's own records: SHA256SUMS (paths and hashes),
// the file sizes, and provenance/*.md (repository, pinned commit and license per dataset).
// The mirror re-arranged the staged folders, so each mirror folder names the provenance entry it
// came from; a direct source URL is recorded only where the mirror file is a byte-identical copy
// of a known repository path.
import Foundation

public enum DataManifestBuilder {
    struct Rule {
        let prefix: String
        /// Text that locates the dataset's entry (heading or table row) in provenance/*.md.
        let provenanceKey: String
        /// Repository path prefix for direct URLs, applied to files ending in one of `rawSuffixes`.
        let rawPrefix: String?
        let rawSuffixes: [String]
        /// Used when the provenance entry has no License line but states the license elsewhere.
        let license: String?
        init(_ prefix: String, _ key: String, raw: String? = nil, _ suffixes: [String] = [], license: String? = nil) {
            self.prefix = prefix; provenanceKey = key; rawPrefix = raw; rawSuffixes = suffixes; self.license = license
        }
    }

    static let rules: [Rule] = [
        Rule("mmlu/", "→ `mmlu/`", raw: "data/mmlu/", [".csv"]),
        Rule("bbh/tasks/", "→ `bbh/`", raw: "bbh/", [".json"]),
        Rule("bbh/cot-prompts/", "→ `bbh/`", raw: "cot-prompts/", [".txt"]),
        Rule("bbh/", "→ `bbh/`"),
        Rule("xcopa/", "→ `xcopa/`", raw: "data/", [".jsonl"]),
        Rule("xstorycloze/", "`xstorycloze_opencompass/`", raw: "opencompass/data/xstory_cloze/", [".jsonl"]),
        Rule("xwinograd/zh-cluewsc2020/", "`xwinograd_zh_source_cluewsc2020/`"),
        Rule("xwinograd/", "→ `xwinograd/`", raw: "", ["dataset.tsv", "dataset.selected.tsv"], license: "Apache-2.0 (the repository's LICENSE)"),
        Rule("exams/", "→ `exams/`"),
        Rule("gsm8k/", "→ `gsm8k/`", raw: "grade_school_math/data/", [".jsonl"]),
        Rule("qqp/", "`glue_kshot_powerfulpromptft/`"),
        Rule("cosmosqa/", "→ `cosmosqa/`", raw: "data/", ["valid.csv"]),
        Rule("siqa/", "→ `siqa/`"),
        Rule("piqa/", "→ `piqa/`", raw: "piqa/data/", [".jsonl", ".lst"]),
        Rule("winogrande/", "`winogrande_official_opencompass/`"),
        Rule("flan/commongen/", "→ `commongen/`", license: "MIT (the repository's LICENSE at that commit)"),
        Rule("flan/wmt/", "`wmt_newstest_opusmt/`"),
        Rule("flan/glue-kshot/", "`glue_kshot_powerfulpromptft/`"),
        Rule("flan/crossfit-kshot/", "`metaicl_crossfit_kshot/`", license: "CC BY-NC 4.0 (the repository's LICENSE)"),
        Rule("flan/superglue/", "`superglue_fewglue32dev/`"),
        Rule("flan/squad-v1-xquad-en/", "`squad_v1_xquad_en/`", raw: "", ["xquad.en.json"]),
        Rule("flan/squad-v2-explorer-html/", "`squad_v2_explorer_html/`"),
        Rule("flan/arc/", "`arc_opencompass/`"),
        Rule("flan/triviaqa/", "`triviaqa_opencompass/`"),
        Rule("flan/dart/", "`flan/dart/"),
        Rule("flan/e2e/", "`flan/e2e/`"),
        Rule("flan/webnlg/", "`flan/webnlg/"),
        Rule("flan/nq/", "`flan/nq/"),
        Rule("flan/dpr-wsc273-wnli/", "`flan/dpr_wsc273_wnli/"),
        Rule("flan/rte-wnli/", "`flan/rte_wnli_glue_resplit/glue_data/RTE/`"),
        Rule("flan/sst2/", "`flan/sst2/"),
        Rule("flan/sentiment140/", "`flan/sentiment140/`"),
        Rule("flan/obqa/", "`flan/obqa/"),
        Rule("flan/hellaswag/", "`flan/hellaswag/`"),
        Rule("flan/storycloze/", "### 4. XStoryCloze"),
        Rule("flan/hydralora-mixture/", "**13a. `flan/hydralora/`**"),
        Rule("multilingual/flores200/", "`bactrianx_substitute_flores200/`"),
        Rule("multilingual/xquad/", "`bactrianx_substitute_xquad/`", raw: "", [".json"]),
    ]

    struct Source { let repository: String?; let commit: String?; let license: String; let section: String }

    /// Finds the provenance entry containing `key`: a table row, or a section up to the next heading.
    static func source(for key: String, in documents: [(name: String, lines: [String])]) -> Source? {
        for doc in documents {
            guard let i = doc.lines.firstIndex(where: { $0.contains(key) }) else { continue }
            let line = doc.lines[i]
            if line.hasPrefix("|") {
                let cols = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                let repoCol = cols.count > 3 ? cols[3] : ""
                let lic = cols.filter { !$0.isEmpty }.last ?? ""
                return Source(repository: firstMatch(#"([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+) @"#, repoCol),
                              commit: firstMatch(#"@ \*{0,2}([0-9a-f]{7,40})"#, repoCol),
                              license: lic.isEmpty ? "not stated in the provenance" : lic, section: "\(doc.name): \(cols.count > 1 ? cols[1] : key)")
            }
            var section: [String] = [line]
            for l in doc.lines[(i + 1)...] {
                if l.hasPrefix("### ") || l.hasPrefix("## ") || l.hasPrefix("**13") || l == "---" { break }
                section.append(l)
            }
            let sourceLine = section.first { $0.contains("**Source") } ?? section.first { $0.contains("Source:") } ?? section.joined(separator: " ")
            let licLine = section.first { $0.contains("**License:**") || $0.contains("**Licence:**") || $0.hasPrefix("  - Licence:") }
            let lic = licLine.map { $0.replacingOccurrences(of: #"^.*Licen[cs]e:(\*\*)?\s*"#, with: "", options: .regularExpression) }
            return Source(repository: firstMatch(#"`([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)`"#, sourceLine),
                          commit: firstMatch(#"@ \*{0,2}([0-9a-f]{7,40})"#, sourceLine),
                          license: lic ?? "not stated in the provenance", section: "\(doc.name): \(line.replacingOccurrences(of: "#", with: "").trimmingCharacters(in: .whitespaces))")
        }
        return nil
    }

    static func firstMatch(_ pattern: String, _ s: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)), m.numberOfRanges > 1,
              let r = Range(m.range(at: 1), in: s) else { return nil }
        return String(s[r])
    }

    /// Builds the manifest for every file listed in `dataDir/SHA256SUMS`.
    public static func build(dataDir: URL) throws -> DataManifest {
        let sums = try String(contentsOf: dataDir.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        let provDir = dataDir.appendingPathComponent("provenance")
        let docs = try FileManager.default.contentsOfDirectory(atPath: provDir.path).filter { $0.hasSuffix(".md") }.sorted().map {
            (name: "provenance/\($0)", lines: try String(contentsOf: provDir.appendingPathComponent($0), encoding: .utf8).components(separatedBy: "\n"))
        }
        var files: [DataManifestEntry] = []
        for line in sums.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            var path = parts[1].trimmingCharacters(in: .whitespaces)
            if path.hasPrefix("*") { path.removeFirst() }
            if path.hasPrefix("./") { path.removeFirst(2) }
            let attrs = try FileManager.default.attributesOfItem(atPath: dataDir.appendingPathComponent(path).path)
            let size = (attrs[.size] as? NSNumber)?.intValue ?? 0
            var entry = DataManifestEntry(path: path, sha256: parts[0], size: size, repository: nil, commit: nil, sourceURL: nil,
                                          sourceTree: nil, license: "part of the data mirror's own documentation",
                                          provenance: "the data mirror (README.md, provenance/)")
            if let rule = rules.first(where: { path.hasPrefix($0.prefix) }) {
                guard let src = source(for: rule.provenanceKey, in: docs) else {
                    throw SpecError(file: provDir.path, line: 0, field: rule.prefix, message: "no provenance entry containing \(rule.provenanceKey)")
                }
                entry.repository = src.repository; entry.commit = src.commit; entry.provenance = src.section
                entry.license = src.license == "not stated in the provenance" ? (rule.license ?? src.license) : src.license
                if let repo = src.repository, let commit = src.commit {
                    entry.sourceTree = "https://github.com/\(repo)/tree/\(commit)"
                    let rest = String(path.dropFirst(rule.prefix.count))
                    // Only full 40-hex commits pin a raw URL unambiguously.
                    if let raw = rule.rawPrefix, commit.count == 40, rule.rawSuffixes.contains(where: { rest.hasSuffix($0) }) {
                        entry.sourceURL = "https://raw.githubusercontent.com/\(repo)/\(commit)/\(raw)\(rest)"
                    }
                }
            }
            files.append(entry)
        }
        // "same `repo` @ b5efbf5…" abbreviations: use the full commit recorded for that repository.
        var full: [String: [String]] = [:]
        for f in files { if let r = f.repository, let c = f.commit, c.count == 40 { full[r, default: []].append(c) } }
        for i in files.indices {
            guard let r = files[i].repository, let c = files[i].commit, c.count < 40,
                  let match = Set(full[r] ?? []).first(where: { $0.hasPrefix(c) }) else { continue }
            files[i].commit = match
            files[i].sourceTree = "https://github.com/\(r)/tree/\(match)"
        }
        return DataManifest(description: "Files metalora reads from the data mirror (../shared/data): path relative to the data folder, sha256, size in bytes, source repository at a pinned commit and license, from the mirror's SHA256SUMS and provenance/*.md. `source_url` is set only where the file is a byte-identical copy of one repository file; otherwise fetch from a mirror (metalora data fetch --from URL-or-folder).",
                            files: files)
    }
}
