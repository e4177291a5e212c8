// An experiment spec (experiments/tableN.yaml): the science of one paper table or figure —
// setting, methods with their hyper-parameters and data budgets, benchmarks, seeds, sweep grids.
import Foundation
import Evaluation
import Engine
import Training

/// How much training data a method gets: the whole pool ("full") or n examples per task (Table 3).
public enum DataBudget: Hashable, Sendable, CustomStringConvertible {
    case full
    case perTask(Int)
    /// The base model is evaluated without fine-tuning.
    case none
    public var description: String {
        switch self { case .full: return "full"; case .perTask(let n): return String(n); case .none: return "none" }
    }
}

public struct BenchmarkSpec: Equatable, Sendable {
    public let name: String
    public let shots: Int
    /// BBH prompt variant (direct, cot, instruct-eval); nil for the others.
    public let variant: String?
    /// Subjects / tasks / languages to score (nil = all the definition's).
    public var subsets: [String]? = nil
    /// Items per subset for this benchmark, replacing the profile's `eval_limit` (nil = that).
    public var limit: Int? = nil
    public var json: JSONValue {
        var o: [String: JSONValue] = ["name": .string(name), "shots": .int(shots)]
        if let v = variant { o["variant"] = .string(v) }
        // Only set when given, so entries without them keep their hashes.
        if let s = subsets { o["subsets"] = .array(s.map(JSONValue.string)) }
        if let l = limit { o["limit"] = .int(l) }
        return .object(o)
    }
    /// What makes two entries score the same thing twice.
    var key: String { name + (variant.map { " (\($0))" } ?? "") + " at \(shots) shots" + (subsets.map { " on " + $0.joined(separator: ",") } ?? "") }
}

/// One point of a sweep grid (Tables 8–11): a label and the hyper-parameters it sets.
public struct GridPoint: Equatable, Sendable {
    public let label: String
    public let values: [String: JSONValue]
}

public struct MethodEntry: Sendable {
    /// Row label the table layouts refer to (e.g. "MeTA-LoRA", "LoRA + BM25").
    public let label: String
    public let method: String
    public let budgets: [DataBudget]
    /// How the training subset is drawn (Table 13): random, bm25 or dsir.
    public let selection: String
    /// The benchmarks whose evaluation inputs a bm25/dsir selection ranks examples against
    /// (`selection_target`); nil = the spec's benchmarks. Always nil for random.
    public let selectionTarget: [String]?
    public let hyper: [String: JSONValue]
    public let grid: [GridPoint]
    public let line: Int
    /// `select_best`: the criterion a table uses to report one point of `grid` (appendix A.1.2's
    /// "best results" as a declared protocol); nil = no selection, every grid point is its own row.
    public var selectBest: GridSelection.Criterion? = nil
}

public struct ExperimentSpec: Sendable {
    public let file: String
    public let name: String
    public let table: String
    public let setting: String
    public let description: String
    public let methods: [MethodEntry]
    public let benchmarks: [BenchmarkSpec]
    public var seeds: [Int]
    /// Training tasks; nil = all of the setting's tasks (Registry.settings).
    public let tasks: [String]?
    /// `precision: f32 | bf16` of the frozen base's products; nil = the profile's, else f32.
    public var precision: Precision? = nil
    /// The methods this spec was read against (their descriptors resolve its cells).
    public var catalog: MethodCatalog = .standard
    /// Resources for `sweep --backend slurm` (the `slurm:` block); empty when the spec gives none.
    public var slurm = SlurmResources()

    /// `catalog`: the methods the spec may name (the standard list unless a caller extends it).
    public static func load(_ url: URL, methods catalog: MethodCatalog = .standard) throws -> ExperimentSpec {
        try parse(YAMLField.document(at: url), catalog: catalog)
    }

    public static func parse(text: String, file: String, methods catalog: MethodCatalog = .standard) throws -> ExperimentSpec {
        try parse(YAMLField.document(text: text, file: file), catalog: catalog)
    }

    public static let tables = ["table1", "table2", "table4", "table5", "table6", "table7", "table8", "table9",
                                "table10", "table11", "table12", "table13", "figure2"]

    static func parse(_ doc: YAMLField, catalog: MethodCatalog) throws -> ExperimentSpec {
        let top = try doc.mapping(required: ["name", "table", "setting", "methods", "benchmarks", "seeds"],
                                  optional: ["description", "tasks", "precision", "slurm"])
        // The name becomes file names and a Slurm job name, so it may not carry paths or shell syntax.
        let name = try top["name"]!.string()
        if let why = SlurmResources.nameProblem(name) { throw top["name"]!.error(why) }
        let setting = try top["setting"]!.oneOf(Registry.settingNames, what: "setting")
        var tasks: [String]? = nil
        if let t = top["tasks"] {
            let valid = Registry.setting(setting)!.tasks
            tasks = try t.sequence().map { f in valid.isEmpty ? try f.string() : try f.oneOf(valid, what: "task") }
            if tasks!.isEmpty { throw t.error("an empty task list; leave the key out to use all of the setting's tasks") }
            try requireDistinct(tasks!, in: t, what: "task")
        }
        let table = try top["table"]!.oneOf(tables, what: "table")
        let benchmarks = try top["benchmarks"]!.sequence().map(parseBenchmark)
        if benchmarks.isEmpty { throw top["benchmarks"]!.error("at least one benchmark is required") }
        try requireDistinct(benchmarks.map(\.key), in: top["benchmarks"]!, what: "benchmark")
        let seeds = try top["seeds"]!.sequence().map { try $0.int() }
        if seeds.isEmpty { throw top["seeds"]!.error("at least one seed is required") }
        try requireDistinct(seeds.map(String.init), in: top["seeds"]!, what: "seed")
        let methods = try top["methods"]!.sequence().map { try parseMethod($0, catalog: catalog) }
        if methods.isEmpty { throw top["methods"]!.error("at least one method is required") }
        var seen = Set<String>()
        for m in methods where !seen.insert(m.label).inserted {
            throw SpecError(file: doc.file, line: m.line, field: "methods", message: "duplicate method label '\(m.label)'")
        }
        var spec = ExperimentSpec(file: doc.file, name: name, table: table, setting: setting,
                                  description: try top["description"]?.string() ?? "",
                                  methods: methods, benchmarks: benchmarks, seeds: seeds, tasks: tasks)
        spec.precision = try top["precision"].map(parsePrecision)
        spec.catalog = catalog
        if let block = top["slurm"] { spec.slurm = try SlurmResources.parse(block) }
        return spec
    }

    /// A list that names a value twice would plan the same cell twice (or score a benchmark twice).
    static func requireDistinct(_ values: [String], in field: YAMLField, what: String) throws {
        var seen = Set<String>()
        for v in values where !seen.insert(v).inserted {
            throw field.error("\(what) \(v) is listed twice: each \(what) would plan the same runs again")
        }
    }

    static func parseBenchmark(_ f: YAMLField) throws -> BenchmarkSpec {
        let m = try f.mapping(required: ["name", "shots"], optional: ["variant", "subsets", "limit"])
        let catalog: BenchmarkCatalog
        do { catalog = try BenchmarkCatalog.active() } catch {
            throw SpecError(file: f.file, line: f.line, field: "\(f.path).name", message: "the benchmark definitions cannot be read: \(error)")
        }
        let name = try m["name"]!.oneOf(catalog.names, what: "benchmark")
        let shots = try m["shots"]!.int()
        if shots < 0 { throw m["shots"]!.error("shots must be ≥ 0") }
        // A benchmark with several protocols must say which: their scores are not comparable.
        let variants = catalog.variants(of: name)
        var variant: String? = nil
        if let v = m["variant"] {
            guard !variants.isEmpty else { throw v.error("\(name) has one protocol and no variants") }
            variant = try v.oneOf(variants, what: "\(name) variant")
        } else if !variants.isEmpty {
            throw SpecError(file: f.file, line: f.line, field: "\(f.path).variant", message: "\(name) needs a variant: \(variants.joined(separator: ", "))")
        }
        var spec = BenchmarkSpec(name: name, shots: shots, variant: variant)
        if let list = m["subsets"] {
            let names = try list.sequence().map { try $0.string() }
            if names.isEmpty { throw list.error("subsets is empty: leave it out to score every subset") }
            let valid = (try? BenchmarkRegistry.definition(name: name, variant: variant).subsets.map(\.name)) ?? []
            if let bad = names.first(where: { !valid.contains($0) }) {
                throw list.error("\(name) has no subset '\(bad)'; valid: \(valid.joined(separator: ", "))")
            }
            try requireDistinct(names, in: list, what: "subset")
            spec.subsets = names
        }
        if let l = m["limit"] {
            let v = try l.int(); if v < 1 { throw l.error("limit must be ≥ 1") }
            spec.limit = v
        }
        return spec
    }

    static func parseMethod(_ f: YAMLField, catalog: MethodCatalog) throws -> MethodEntry {
        let m = try f.mapping(required: ["name"], optional: ["label", "budgets", "selection", "selection_target", "hyper", "grid", "select_best"])
        let name = try m["name"]!.oneOf(catalog.names, what: "method")
        let schema = Registry.method(name, in: catalog)!
        var budgets: [DataBudget] = [.none]
        if schema.descriptor.loop == .none {
            if let b = m["budgets"] { throw b.error("the base model is not fine-tuned and takes no budget") }
        } else {
            guard let b = m["budgets"] else { throw SpecError(file: f.file, line: f.line, field: "\(f.path).budgets", message: "missing required field (list of 'full' or examples per task)") }
            budgets = try b.sequence().map(parseBudget)
            if budgets.isEmpty { throw b.error("at least one budget is required") }
            try requireDistinct(budgets.map(\.description), in: b, what: "budget")
        }
        let selection = try m["selection"]?.oneOf(Registry.dataSelections, what: "data selection") ?? "random"
        let selectionTarget = try parseSelectionTarget(m["selection_target"], selection: selection, method: name, budgets: budgets,
                                                       selectionField: m["selection"])
        var hyper: [String: JSONValue] = [:]
        if let h = m["hyper"] {
            for e in try h.entries() {
                guard let kind = schema.hyper[e.key] else {
                    throw SpecError(file: f.file, line: e.line, field: e.value.path,
                                    message: "unknown hyper-parameter '\(e.key)' for \(name); allowed: \(schema.hyper.keys.sorted().joined(separator: ", "))")
                }
                hyper[e.key] = try parseHyper(e.value, kind: kind, parameter: schema.parameter(e.key)!, budgets: budgets)
            }
        } else if !schema.required.isEmpty {
            throw SpecError(file: f.file, line: f.line, field: "\(f.path).hyper", message: "missing required field")
        }
        for r in schema.required where hyper[r] == nil {
            throw SpecError(file: f.file, line: m["hyper"]?.line ?? f.line, field: "\(f.path).hyper.\(r)", message: "missing required hyper-parameter for \(name)")
        }
        var grid: [GridPoint] = []
        if let g = m["grid"] {
            for p in try g.sequence() {
                var label: String? = nil
                var values: [String: JSONValue] = [:]
                for e in try p.entries() {
                    if e.key == "label" { label = try e.value.string(); continue }
                    guard let kind = schema.hyper[e.key] else {
                        throw SpecError(file: f.file, line: e.line, field: e.value.path,
                                        message: "grid sets unknown hyper-parameter '\(e.key)' for \(name); allowed: \(schema.hyper.keys.sorted().joined(separator: ", "))")
                    }
                    values[e.key] = try parseHyper(e.value, kind: kind, parameter: schema.parameter(e.key)!, budgets: budgets)
                }
                guard let l = label else { throw SpecError(file: f.file, line: p.line, field: "\(p.path).label", message: "missing required field") }
                if values.isEmpty { throw p.error("a grid point must set at least one hyper-parameter") }
                if grid.contains(where: { $0.label == l }) { throw p.error("duplicate grid label '\(l)'") }
                grid.append(GridPoint(label: l, values: values))
            }
            if grid.isEmpty { throw g.error("an empty grid; leave the key out instead") }
        }
        var entry = MethodEntry(label: try m["label"]?.string() ?? name, method: name, budgets: budgets, selection: selection,
                                selectionTarget: selectionTarget, hyper: hyper, grid: grid, line: f.line)
        if let sb = m["select_best"] {
            let value = try sb.oneOf(GridSelection.Criterion.allCases.map(\.rawValue), what: "selection criterion")
            guard grid.count >= 2 else { throw sb.error("select_best chooses among grid points: give a grid of at least two points") }
            guard schema.descriptor.loop != .none else { throw sb.error("the base model trains nothing and has no held-out loss to select on") }
            entry.selectBest = GridSelection.Criterion(rawValue: value)
        }
        return entry
    }

    /// Table 13: a bm25/dsir selection picks n examples per task for target benchmarks, so it needs
    /// a per-task budget and a fine-tuned method; `selection_target` names benchmarks and only
    /// makes sense with such a selection.
    static func parseSelectionTarget(_ f: YAMLField?, selection: String, method: String, budgets: [DataBudget],
                                     selectionField: YAMLField?) throws -> [String]? {
        guard selection != "random" else {
            if let f { throw f.error("selection_target applies to a bm25 or dsir selection, not to random draws") }
            return nil
        }
        if method == "base" { throw selectionField!.error("the base model is not fine-tuned: there is no training data to select") }
        if budgets.contains(.full) {
            throw selectionField!.error("\(selection) picks a number of examples per task; a 'full' budget has nothing to select")
        }
        guard let f else { return nil }
        let names = try f.sequence().map { try $0.oneOf(Registry.benchmarks, what: "benchmark") }
        if names.isEmpty { throw f.error("an empty target; leave the key out to select for the spec's benchmarks") }
        if Set(names).count != names.count { throw f.error("a benchmark is named twice") }
        return names
    }

    static func parseBudget(_ f: YAMLField) throws -> DataBudget {
        if case .scalar(let s) = f.node, s.string == "full" { return .full }
        guard let n = try? f.int(), n > 0 else { throw f.error("a budget is 'full' or a positive number of examples per task, found \(f.describe)") }
        return .perTask(n)
    }

    /// One hyper-parameter value, typed by its kind and checked against the descriptor's range
    /// (zero iterations, rank 0, a non-finite rate fail here, naming the file and line).
    static func parseHyper(_ f: YAMLField, kind: MethodSchema.Kind, parameter: HyperParameter, budgets: [DataBudget]) throws -> JSONValue {
        func checked(_ v: JSONValue) throws -> JSONValue {
            if let h = v.hyperValue {
                do { try parameter.check(h) } catch { throw f.error("\(error)") }
            }
            return v
        }
        switch kind {
        case .int: return try checked(.int(try f.int()))
        case .number: return try checked(.double(try f.double()))
        case .bool: return try checked(.bool(try f.bool()))
        case .string: return try checked(.string(try f.string()))
        case .headCount:
            if let v = try? f.int() { return try checked(.int(v)) }
            let s = try f.string()
            guard s == "tasks" else { throw f.error("must be a number of heads or 'tasks' (one per training task), found '\(s)'") }
            return .string(s)
        case .strings: return try checked(.array(try f.strings().map(JSONValue.string)))
        case .epochs:
            // Appendix A.1.2: 1 epoch on full data, 5 with 50 per task, 10 with 100 per task.
            if case .scalar = f.node { return try checked(.int(try f.int())) }
            var o: [String: JSONValue] = [:]
            for e in try f.entries() {
                guard e.key == "full" || Int(e.key) != nil else { throw e.value.error("epoch keys are 'full' or a per-task budget") }
                o[e.key] = try checked(.int(try e.value.int()))
            }
            for b in budgets where o[b.description] == nil {
                throw f.error("no epoch count for budget \(b); give one per budget (\(budgets.map(\.description).joined(separator: ", ")))")
            }
            return .object(o)
        }
    }
}

/// A spec's or profile's `precision:` value; the error names the field's file and line.
func parsePrecision(_ f: YAMLField) throws -> Precision {
    let text = try f.string()
    do { return try Precision(parsing: text) } catch { throw f.error("\(error)") }
}
